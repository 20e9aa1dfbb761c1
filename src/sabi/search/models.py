"""The answer's shape: trace.moe's fields plus sabi's own. Shared by the CLI and the API."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class ShowInfo(BaseModel):
    id: int
    title: str
    tag: str | None = None


class SceneResult(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    filename: str
    episode: float | int | None = Field(description="Episode number, when known.")
    duration: float = Field(description="Length of the episode in seconds.")
    from_: float = Field(alias="from", description="Start of the matching scene (s).")
    at: float = Field(description="Best-matching moment (s).")
    to: float = Field(description="End of the matching scene (s).")
    similarity: float = Field(ge=0, le=1, description="Cosine similarity of the best frame.")
    show: ShowInfo
    episode_id: int
    anilist: int | None = Field(None, description="trace.moe compatibility: the show id.")
    link: str | None = Field(None, description="Where the episode can be watched, if known.")
    video: str | None = Field(None, description="Preview clip URL (HTTP API only).")
    image: str | None = Field(None, description="Preview still URL (HTTP API only).")


class SearchResponse(BaseModel):
    frameCount: int = Field(description="Frames in the index that were searched.")
    error: str = ""
    result: list[SceneResult] = []

    def as_json(self) -> dict:
        """trace.moe's keys always present (episode may be null); sabi's extras only when set."""
        data = self.model_dump(by_alias=True)
        for item in data["result"]:
            for key in ("anilist", "link", "video", "image"):
                if item.get(key) is None:
                    item.pop(key, None)
        return data
