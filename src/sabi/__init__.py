"""sabi: Search Anime By Image."""

import os

# FAISS's OpenMP threads otherwise spin for a while after each search and take the cores the
# next step of the same search (the model, decoding, SQL) needs. Set before FAISS is loaded;
# a value the user chose wins.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

__version__ = "0.1.0"
