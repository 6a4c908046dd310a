"""WeasyPrint's only way to load anything: the app's own PDF assets and data: URLs.

No network, no other files, no redirects. A blocked URL is refused, remembered (so tests
can prove nothing else was touched) and WeasyPrint carries on without it.
"""

import mimetypes
from pathlib import Path
from urllib.parse import urlsplit
from urllib.request import url2pathname

from weasyprint.urls import URLFetcher, URLFetcherResponse

ASSETS = (Path(__file__).parent / "assets").resolve()


class AssetsOnlyFetcher(URLFetcher):
    def __init__(self) -> None:
        super().__init__(timeout=2, allowed_protocols={"data", "file"}, allow_redirects=False)
        self.refused: list[str] = []

    def fetch(self, url: str, headers=None):
        if url.startswith("data:"):
            return super().fetch(url, headers)
        if url.startswith("file:"):
            path = Path(url2pathname(urlsplit(url).path)).resolve()
            if path.is_relative_to(ASSETS) and path.is_file():
                content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
                return URLFetcherResponse(path.as_uri(), path.read_bytes(),
                                          headers={"Content-Type": content_type})
        self.refused.append(url)
        raise ValueError(f"The printed record may not load {url!r}")
