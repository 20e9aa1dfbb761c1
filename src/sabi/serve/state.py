"""What one server process holds: the application object, and what only a server needs
beside it (keys and limits, preview links and rendering, worker pools, indexing jobs). Of
these only the pools and the indexing jobs are the process's own; keys, quotas and rate
counts are in the database, and previews in ``preview_dir``, shared by every replica.

Searching, indexing, removal and statistics go through the one ``sabi.app.Sabi``, as the CLI's
do. Threads share it safely: its model and store are loaded here, once, before any request;
the stores guard themselves (FAISS holds a lock around every call, Milvus clients are
thread-safe); and every write (index, remove) takes the data directory's write lock inside
Sabi, so a second writer, in this process or another, is refused with IndexBusy (503).
"""

from __future__ import annotations

from sabi.app import Sabi
from sabi.serve.jobs import IndexJobs
from sabi.serve.keys import KeyStore, Limiter
from sabi.serve.pool import BoundedPool
from sabi.serve.previews import Previews
from sabi.serve.tokens import PreviewSigner, load_secret
from sabi.settings import Settings


class ServerState:
    def __init__(self, settings: Settings):
        self.settings = settings
        self.sabi = Sabi(settings)
        try:
            self.sabi.searcher  # noqa: B018  load the model and index now, not on a request
            self.keys = KeyStore(self.sabi.catalog)
            self.limiter = Limiter(settings, self.keys)
            self.signer = PreviewSigner(
                load_secret(settings.secret, settings.data_dir), settings.preview_ttl
            )
            self.previews = Previews(settings, self.sabi.catalog)
        except BaseException:
            self.sabi.close()
            raise
        self.search_pool = BoundedPool(settings.search_workers, settings.search_queue, "search")
        self.preview_pool = BoundedPool(
            settings.preview_workers, settings.preview_workers * 4, "preview"
        )
        self.jobs = IndexJobs(self.sabi)

    def close(self) -> None:
        self.search_pool.shutdown()
        self.preview_pool.shutdown()
        self.sabi.close()
