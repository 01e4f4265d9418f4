"""STAC in: items (from an ItemCollection, a catalog or one item on disk) as local paths.

saropt reads STAC the way its users keep it next to their data: a JSON file whose items'
assets point to GeoTIFFs on a local or mounted file system (relative hrefs are resolved
against the file that holds them). Assets are picked by key, with aliases, so that an
item written by saropt's own database (assets ``s1``, ``s2``, ``dem`` ...) and one written
by hand (``optical``, ``sar``) both work.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

from saropt.errors import ConfigError, InputNotFoundError


@dataclass(frozen=True)
class StacScene:
    """One STAC item: its id and its assets' local paths by key."""

    id: str
    assets: dict[str, Path]


def _local(href: str) -> Path:
    parsed = urlparse(href)
    if parsed.scheme in ("", "file"):
        return Path(parsed.path if parsed.scheme else href)
    raise ConfigError(
        f"asset href {href!r} is not a local path; saropt reads STAC assets from a local or "
        "mounted file system (copy the data, or mount the bucket, and point the hrefs there)"
    )


def read_stac(path: str | Path) -> list[StacScene]:
    """Every item of a STAC ItemCollection, catalog/collection (recursively) or item file.

    Raises:
        InputNotFoundError: No such file.
        ConfigError: Not STAC JSON, no items, or an asset that is not a local path.
    """
    import pystac

    path = Path(path)
    if not path.is_file():
        raise InputNotFoundError(f"STAC file {path} does not exist")
    try:
        data = json.loads(path.read_text())
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ConfigError(f"{path} is not STAC JSON ({exc})") from None
    kind = data.get("type") if isinstance(data, dict) else None
    try:
        if kind == "FeatureCollection":
            items = list(pystac.ItemCollection.from_file(str(path)))
        elif kind == "Feature":
            items = [pystac.Item.from_file(str(path))]
        elif kind in ("Catalog", "Collection"):
            items = list(pystac.read_file(str(path)).get_items(recursive=True))  # type: ignore[attr-defined]
        else:
            raise ConfigError(
                f"{path} is not a STAC ItemCollection, Catalog, Collection or Item (type {kind!r})"
            )
    except pystac.STACError as exc:
        raise ConfigError(f"{path}: {exc}") from None
    if not items:
        raise ConfigError(f"{path} holds no STAC items")
    scenes = []
    for item in items:
        assets = {}
        for key, asset in item.assets.items():
            local = _local(asset.get_absolute_href() or asset.href)
            # an ItemCollection's items have no self link: relative to the file
            assets[key] = local if local.is_absolute() else path.parent / local
        scenes.append(StacScene(item.id, assets))
    return scenes


def pick_assets(
    scene: StacScene, wanted: Mapping[str, Sequence[str]], required: Sequence[str]
) -> dict[str, Path | None]:
    """The scene's path for each wanted name: the first of its aliases the item has.

    Args:
        wanted: Name -> asset keys that may hold it, in order ("sar": ("sar", "s1")).
        required: Names the item must have.

    Raises:
        ConfigError: A required name has none of its keys.
    """
    out: dict[str, Path | None] = {}
    for name, keys in wanted.items():
        out[name] = next((scene.assets[k] for k in keys if k in scene.assets), None)
        if out[name] is None and name in required:
            raise ConfigError(
                f"STAC item {scene.id!r} has no asset for {name} (looked for "
                f"{', '.join(keys)}; it has {', '.join(sorted(scene.assets)) or 'none'})"
            )
    return out
