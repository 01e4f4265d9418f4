"""Dense correlation: FFT, grouped convolution and the loop agree; NCC."""

from __future__ import annotations

import torch

from saropt.layers.correlation import (
    DenseCorrelation,
    correlation_loop,
    dense_correlation,
    normalized_cross_correlation,
)


class TestCorrelation:
    def test_dense_equals_the_loop_and_the_module(self) -> None:
        s, t = torch.randn(3, 4, 20, 18), torch.randn(3, 4, 7, 5)
        torch.testing.assert_close(
            dense_correlation(s, t), correlation_loop(s, t), atol=1e-4, rtol=1e-4
        )
        torch.testing.assert_close(DenseCorrelation()(s, t), dense_correlation(s, t))

    def test_gradcheck(self) -> None:
        s = torch.randn(2, 2, 6, 6, dtype=torch.float64, requires_grad=True)
        t = torch.randn(2, 2, 3, 3, dtype=torch.float64, requires_grad=True)
        assert torch.autograd.gradcheck(dense_correlation, (s, t))
        assert torch.autograd.gradcheck(lambda a, b: dense_correlation(a, b, "conv"), (s, t))

    def test_ncc_finds_a_cut_out_template_despite_gain_and_offset(self) -> None:
        s = torch.randn(2, 1, 30, 30)
        t = 3.0 * s[:, :, 9:19, 4:14] + 7.0
        score = normalized_cross_correlation(s, t)
        assert score.shape == (2, 21, 21)
        torch.testing.assert_close(score[:, 9, 4], torch.ones(2), atol=1e-4, rtol=0)
        assert (score.flatten(1).argmax(dim=1) == 9 * 21 + 4).all()
        assert score.max() <= 1.0 + 1e-5 and score.min() >= -1.0 - 1e-5


class TestLocalCorrelation:
    def test_equals_the_loop_and_the_module(self) -> None:
        from saropt.layers.correlation import (
            LocalCorrelation,
            local_correlation,
            local_correlation_loop,
        )

        a, b = torch.randn(2, 3, 9, 11), torch.randn(2, 3, 9, 11)
        for r in (0, 2, 4):
            torch.testing.assert_close(local_correlation(a, b, r), local_correlation_loop(a, b, r))
        torch.testing.assert_close(LocalCorrelation(4)(a, b), local_correlation(a, b, 4))

    def test_a_shifted_copy_peaks_at_its_shift(self) -> None:
        from saropt.layers.correlation import local_correlation

        a = torch.randn(1, 16, 24, 24)
        b = torch.roll(a, shifts=(2, -3), dims=(2, 3))  # b[y + 2, x - 3] = a[y, x]
        cost = local_correlation(a, b, 4)[0, :, 8:16, 8:16]
        k = int(cost.mean(dim=(1, 2)).argmax())
        assert (k // 9 - 4, k % 9 - 4) == (2, -3)

    def test_gradcheck_and_bad_shapes(self) -> None:
        import pytest

        from saropt.layers.correlation import local_correlation

        a = torch.randn(1, 2, 5, 5, dtype=torch.float64, requires_grad=True)
        b = torch.randn(1, 2, 5, 5, dtype=torch.float64, requires_grad=True)
        assert torch.autograd.gradcheck(lambda x, y: local_correlation(x, y, 2), (a, b))
        with pytest.raises(ValueError, match="one shape"):
            local_correlation(a, b[:, :, :4])
