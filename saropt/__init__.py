"""saropt: deep learning on SAR and optical remote-sensing images, GeoTIFF in, GeoTIFF out."""

__version__ = "0.1.0"
