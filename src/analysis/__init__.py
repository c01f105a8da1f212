"""foljeval: reproducible analysis for följeforskning of labour-market projects."""

__version__ = "0.1.0"
