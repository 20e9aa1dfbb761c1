"""A local stand-in for Bilibili: the API's JSON and the CDN's files, on a loopback port.

Answers in the documented shapes (SocialSisterYi/bilibili-API-collect: docs/bangumi/info.md,
docs/bangumi/videostream_url.md, docs/video/videostream_url.md): season info, stream URLs
(DASH or durl), the error codes for VIP-only (-10403), region-locked (6002003, or -10403 with
"地区"), risk control (-352) and missing (-404) episodes, a preview-only answer, HTTP 412 throttling, Range requests (206/416), a
connection that drops half-way, a slow CDN, and 403 without a bilibili.com Referer.

Airing seasons: an episode with ``airs_after=N`` is listed only from the season's (N+1)th read
on, and :meth:`FakeBilibili.air` adds one at once; ``FakeSeason.finished`` sets the documented
``publish.is_finish`` (and ``total``, -1 while airing).
"""

from __future__ import annotations

import json
import re
import socket
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

CDN_HOSTS = ("https://upos-sz-mirrorcos.bilivideo.com", "https://upos-sz-mirrorks3c.bilivideo.com")
ALL_QUALITIES = [116, 112, 80, 64, 32, 16]
VIP_ONLY = {116, 112}


@dataclass
class FakeEpisode:
    ep_id: int
    title: str
    files: dict[str, Path]  # dash: video, audio; durl: seg1, seg2, ...
    mode: str = "dash"  # dash | durl | vip | region | region10403 | risk | removed | preview
    long_title: str = ""
    duration_ms: int = 0
    badge: str = ""
    status: int = 2
    airs_after: int = 0  # listed once the season was read this many times

    @property
    def cid(self) -> int:
        return self.ep_id * 10

    @property
    def aid(self) -> int:
        return self.ep_id * 100


@dataclass
class FakeSeason:
    season_id: int
    title: str
    episodes: list[FakeEpisode]
    finished: bool = False  # publish.is_finish
    reads: int = 0  # season-info answers given so far

    def aired(self) -> list[FakeEpisode]:
        return [ep for ep in self.episodes if ep.airs_after <= self.reads]


@dataclass
class FakeBilibili:
    seasons: dict[int, FakeSeason] = field(default_factory=dict)
    api_412: int = 0  # the next N API calls answer HTTP 412
    drop_once: dict[str, int] = field(default_factory=dict)  # media name -> drop after N bytes
    cdn_500: dict[str, int] = field(default_factory=dict)  # media name -> N answers of 500
    throttle: float | None = None  # bytes per second for media
    # API path -> the JSON value (or raw bytes) answered instead of the real one: hostile answers
    answers: dict[str, object] = field(default_factory=dict)
    log: list[dict] = field(default_factory=list)

    def __post_init__(self):
        self._media: dict[str, Path] = {}
        self._lock = threading.Lock()
        self.server: ThreadingHTTPServer | None = None

    # ----- setup

    def add(self, season: FakeSeason) -> None:
        self.seasons[season.season_id] = season
        for ep in season.episodes:
            self._register(ep)

    def air(self, season_id: int, ep: FakeEpisode) -> None:
        """A new episode of the season, listed from its next read on."""
        with self._lock:
            self.seasons[season_id].episodes.append(ep)
            self._register(ep)

    def _register(self, ep: FakeEpisode) -> None:
        for name, path in ep.files.items():
            self._media[self.media_name(ep, name, path)] = path

    @staticmethod
    def media_name(ep: FakeEpisode, part: str, path: Path) -> str:
        return f"{ep.cid}-{part}{path.suffix}"

    def start(self) -> str:
        fake = self

        class Handler(_Handler):
            pass

        Handler.fake = fake
        self.server = _Server(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        ).start()
        return self.url

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()

    def requests(self, path_part: str) -> list[dict]:
        with self._lock:
            return [r for r in self.log if path_part in r["path"]]

    # ----- answers

    def find_ep(self, ep_id: int) -> tuple[FakeSeason, FakeEpisode] | None:
        for season in self.seasons.values():
            for ep in season.aired():
                if ep.ep_id == ep_id:
                    return season, ep
        return None

    def season_json(self, query: dict) -> dict:
        season = None
        if "season_id" in query:
            season = self.seasons.get(int(query["season_id"]))
        elif "ep_id" in query:
            found = self.find_ep(int(query["ep_id"]))
            season = found[0] if found else None
        if season is None:
            return {"code": -404, "message": "啥都木有", "ttl": 1}
        with self._lock:
            episodes = season.aired()
            season.reads += 1
        return {
            "code": 0,
            "message": "success",
            "ttl": 1,
            "result": {
                "season_id": season.season_id,
                "season_title": season.title,
                "title": season.title,
                "media_id": season.season_id + 28000000,
                "total": len(episodes) if season.finished else -1,
                "publish": {
                    "is_finish": int(season.finished),
                    "is_started": 1,
                    "pub_time": "2020-10-02 23:00:00",
                    "pub_time_show": "10月02日23:00",
                    "unknow_pub_date": 0,
                    "weekday": 0,
                },
                "type": 1,
                "link": f"https://www.bilibili.com/bangumi/media/md{season.season_id + 28000000}",
                "episodes": [
                    {
                        "aid": ep.aid,
                        "badge": ep.badge,
                        "badge_info": {"bg_color": "#FB7299", "text": ep.badge},
                        "badge_type": 0,
                        "bvid": f"BV1fake{ep.ep_id}",
                        "cid": ep.cid,
                        "cover": "http://i0.hdslb.com/bfs/archive/x.jpg",
                        "duration": ep.duration_ms,
                        "from": "bangumi",
                        "id": ep.ep_id,
                        "link": f"https://www.bilibili.com/bangumi/play/ep{ep.ep_id}",
                        "long_title": ep.long_title,
                        "pub_time": 1600000000,
                        "share_url": f"https://www.bilibili.com/bangumi/play/ep{ep.ep_id}",
                        "status": ep.status,
                        "title": ep.title,
                        "vid": "",
                    }
                    for ep in episodes
                ],
                "section": [],
            },
        }

    def playurl_json(self, query: dict, cookie: str) -> dict:
        found = self.find_ep(int(query.get("ep_id", 0)))
        if found is None:
            return {"code": -404, "message": "啥都木有"}
        _, ep = found
        if ep.mode == "vip":
            return {"code": -10403, "message": "大会员专享限制"}
        if ep.mode == "region":
            return {"code": 6002003, "message": "抱歉您所在地区不可观看！"}
        if ep.mode == "region10403":
            return {"code": -10403, "message": "抱歉您所在地区不可观看！"}
        if ep.mode == "risk":  # risk control ("风控校验失败"): Bilibili's "you look like a bot"
            return {"code": -352, "message": "风控校验失败", "ttl": 1}
        if ep.mode == "removed":
            return {"code": -404, "message": "啥都木有"}
        if "SESSDATA=vip" in cookie:
            allowed = ALL_QUALITIES
        elif "SESSDATA=" in cookie:
            allowed = [q for q in ALL_QUALITIES if q not in VIP_ONLY]
        else:
            allowed = [q for q in ALL_QUALITIES if q <= 64]
        qn = int(query.get("qn", 64))
        got = next((q for q in allowed if q <= qn), allowed[-1])
        result = {
            "code": 0,
            "is_preview": 1 if ep.mode == "preview" else 0,
            "fnver": 0,
            "fnval": int(query.get("fnval", 0)),
            "video_project": True,
            "type": "DASH" if ep.mode != "durl" else "FLV",
            "bp": 0,
            "vip_type": 0,
            "vip_status": 0,
            "is_drm": False,
            "no_rexcode": 0,
            "has_paid": False,
            "status": 2,
            "from": "local",
            "result": "suee",
            "message": "",
            "quality": got,
            "format": f"flv{got}",
            "timelength": ep.duration_ms,
            "accept_format": "hdflv2,flv,flv720,flv480,mp4",
            "accept_description": [str(q) for q in ALL_QUALITIES],
            "accept_quality": ALL_QUALITIES,
            "video_codecid": 7,
            "seek_param": "start",
            "seek_type": "offset",
            "support_formats": [
                {"quality": q, "format": f"flv{q}", "need_vip": q in VIP_ONLY, "need_login": q > 32}
                for q in ALL_QUALITIES
            ],
        }
        if ep.mode == "durl":
            result["durl"] = [
                {
                    "order": i,
                    "length": 0,
                    "size": ep.files[name].stat().st_size,
                    "ahead": "",
                    "vhead": "",
                    "url": self._cdn_url(0, ep, name, got),
                    "backup_url": [self._cdn_url(1, ep, name, got)],
                    "md5": "",
                }
                for i, name in enumerate(sorted(ep.files), 1)
            ]
        else:
            video = [
                {
                    "id": q,
                    "base_url": self._cdn_url(0, ep, "video", q),
                    "baseUrl": self._cdn_url(0, ep, "video", q),
                    "backup_url": [self._cdn_url(1, ep, "video", q)],
                    "backupUrl": [self._cdn_url(1, ep, "video", q)],
                    "bandwidth": 100000 * q,
                    "mimeType": "video/mp4",
                    "mime_type": "video/mp4",
                    "codecs": codecs,
                    "width": 640,
                    "height": 360,
                    "frameRate": "25",
                    "frame_rate": "25",
                    "sar": "1:1",
                    "startWithSap": 1,
                    "start_with_sap": 1,
                    "SegmentBase": {"Initialization": "0-900", "indexRange": "901-1500"},
                    "segment_base": {"initialization": "0-900", "index_range": "901-1500"},
                    "codecid": codecid,
                }
                for q in allowed
                # HEVC first, as Bilibili often lists it: the client must still pick AVC.
                for codecid, codecs in ((12, "hev1.1.6.L120.90"), (7, "avc1.64001F"))
            ]
            audio = None
            if "audio" in ep.files:
                audio = [
                    {
                        "id": aid,
                        "base_url": self._cdn_url(0, ep, "audio", aid),
                        "backup_url": [self._cdn_url(1, ep, "audio", aid)],
                        "bandwidth": bw,
                        "mime_type": "audio/mp4",
                        "codecs": "mp4a.40.2",
                        "codecid": 0,
                    }
                    for aid, bw in ((30216, 67000), (30280, 190000))
                ]
            result["dash"] = {
                "duration": round(ep.duration_ms / 1000),
                "minBufferTime": 1.5,
                "min_buffer_time": 1.5,
                "video": video,
                "audio": audio,
                "dolby": {"type": 0, "audio": None},
                "flac": None,
            }
        return {"code": 0, "message": "success", "result": result}

    def _cdn_url(self, host: int, ep: FakeEpisode, part: str, qn: int) -> str:
        path = ep.files.get(part) or ep.files[sorted(ep.files)[0]]
        name = self.media_name(ep, part, path)
        return (
            f"{CDN_HOSTS[host]}/upgcxcode/{ep.cid % 100:02d}/{ep.cid}/{name}"
            f"?e=ig8euxZM2rNcNbdlhoNvNC8BqJIzNbfq&uipk=5&nbs=1&deadline={int(time.time()) + 7200}"
            f"&gen=playurlv2&os=cosbv&qn={qn}&upsig=0123456789abcdef&bw=1726751&logo=80000000"
        )


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address) -> None:
        pass  # dropped connections are the point of some tests


class _Handler(BaseHTTPRequestHandler):
    fake: FakeBilibili
    protocol_version = "HTTP/1.1"

    def log_message(self, *args) -> None:  # quiet
        pass

    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        fake = self.fake
        url = urlsplit(self.path)
        query = {k: v[0] for k, v in parse_qs(url.query).items()}
        entry = {
            "path": url.path,
            "query": query,
            "range": self.headers.get("Range"),
            "cookie": self.headers.get("Cookie", ""),
            "referer": self.headers.get("Referer", ""),
            "ua": self.headers.get("User-Agent", ""),
        }
        with fake._lock:
            fake.log.append(entry)
        if url.path.startswith("/pgc/"):
            with fake._lock:
                throttled = fake.api_412 > 0
                if throttled:
                    fake.api_412 -= 1
            if throttled:
                return self._send(412, b"<html>412 Precondition Failed</html>", "text/html")
            if url.path in fake.answers:
                return self._json(fake.answers[url.path])
            if url.path == "/pgc/view/web/season":
                return self._json(fake.season_json(query))
            if url.path == "/pgc/player/web/playurl":
                return self._json(fake.playurl_json(query, entry["cookie"]))
            return self._json({"code": -404, "message": "啥都木有"})
        m = re.fullmatch(r"/upgcxcode/\d+/\d+/([\w.-]+)", url.path)
        if m is None or m.group(1) not in fake._media:
            return self._send(404, b"not found", "text/plain")
        if "bilibili.com" not in entry["referer"] or "Mozilla" not in entry["ua"]:
            return self._send(403, b"Forbidden", "text/plain")
        name = m.group(1)
        with fake._lock:
            errors = fake.cdn_500.get(name, 0)
            if errors:
                fake.cdn_500[name] = errors - 1
        if errors:
            return self._send(500, b"server error", "text/plain")
        return self._media(name, fake._media[name])

    def _json(self, data: object) -> None:
        body = data if isinstance(data, bytes) else json.dumps(data, ensure_ascii=False).encode()
        self._send(200, body, "application/json")

    def _send(self, code: int, body: bytes, ctype: str, headers: dict | None = None) -> None:
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    def _media(self, name: str, path: Path) -> None:
        data = path.read_bytes()
        size = len(data)
        start, end = 0, size - 1
        code = 200
        rng = self.headers.get("Range")
        if rng:
            m = re.fullmatch(r"bytes=(\d+)-(\d*)", rng.strip())
            if m is None:
                return self._send(400, b"bad range", "text/plain")
            start = int(m.group(1))
            end = min(int(m.group(2)), size - 1) if m.group(2) else size - 1
            if start >= size:
                return self._send(416, b"", "text/plain", {"Content-Range": f"bytes */{size}"})
            code = 206
        body = data[start : end + 1]
        self.send_response(code)
        self.send_header("Content-Type", "video/mp4")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Accept-Ranges", "bytes")
        if code == 206:
            self.send_header("Content-Range", f"bytes {start}-{end}/{size}")
        self.end_headers()
        fake = self.fake
        with fake._lock:
            drop = fake.drop_once.pop(name, None)
        if drop is not None:
            self.wfile.write(body[:drop])
            self.wfile.flush()
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
            return
        step = 16384
        for i in range(0, len(body), step):
            self.wfile.write(body[i : i + step])
            if fake.throttle:
                time.sleep(step / fake.throttle)
