"""Shapes of the journal API (/api/v1/journal/…)."""

from __future__ import annotations

from datetime import date, datetime

from ninja import Field, Schema

from loom.accounts.safety import CrisisOut
from loom.journal.selectors import PAGE_MAX, PAGE_SIZE


class EntryIn(Schema):
    written_on: date | None = Field(
        None,
        description="The client's local date; default today. Not in the future, at most a year ago.",
    )
    title: str = ""
    body: str = Field("", description="Markdown.")
    mood: int | None = Field(None, description="1–10.")
    energy: int | None = Field(None, description="1–10.")
    sensations: list[str] = Field(
        default_factory=list, description="Keys of GET /prompts' vocabulary."
    )
    emotions: list[str] = Field(default_factory=list)
    body_areas: list[str] = Field(default_factory=list)
    practices: list[str] = Field(default_factory=list)
    builtin_prompt: str = Field("", description="A built-in prompt key (GET /prompts).")
    prompt_id: int | None = Field(None, description="A prompt of one of the client's coaches.")


class EntryPatch(Schema):
    """Only the fields sent are changed."""

    written_on: date | None = None
    title: str | None = None
    body: str | None = None
    mood: int | None = None
    energy: int | None = None
    sensations: list[str] | None = None
    emotions: list[str] | None = None
    body_areas: list[str] | None = None
    practices: list[str] | None = None
    builtin_prompt: str | None = None
    prompt_id: int | None = None
    remove_audio: bool = False


class EntryOut(Schema):
    id: int
    written_on: date
    created_at: datetime
    updated_at: datetime
    title: str
    body: str = Field(description="Markdown source.")
    body_html: str = Field(description="The body rendered and sanitized.")
    excerpt: str = Field(description="The first 140 characters as plain text.")
    mood: int | None
    energy: int | None
    sensations: list[str]
    emotions: list[str]
    body_areas: list[str]
    practices: list[str]
    builtin_prompt: str
    prompt_id: int | None
    prompt_text: str
    has_audio: bool
    audio_url: str | None = Field(description="Plays the decrypted audio note (session sign-in).")
    audio_content_type: str
    is_shared: bool
    shared_at: datetime | None
    url: str


class EntrySavedOut(Schema):
    entry: EntryOut
    crisis: CrisisOut | None = Field(
        description="Set when the text suggests a crisis: show these helplines now."
    )


class EntryPageOut(Schema):
    items: list[EntryOut]
    next_cursor: str | None = Field(description="Pass as ?cursor= for the next (older) page.")


class EntriesQuery(Schema):
    cursor: str | None = None
    limit: int = Field(PAGE_SIZE, ge=1, le=PAGE_MAX)
    emotion: str = ""
    zone: str = ""
    shared: bool = False
    month: str = Field("", description="YYYY-MM")


class NoticedOut(Schema):
    key: str
    label: str
    count: int


class StatsOut(Schema):
    today: date
    current_streak: int
    longest_streak: int
    total: int
    this_week: int
    this_month: int
    average_mood: float | None
    wrote_today: bool
    top_emotions: list[NoticedOut]
    top_zones: list[NoticedOut]


class PromptOut(Schema):
    key: str = Field(description="A built-in key, or a coach prompt's id as text.")
    text: str
    builtin: bool
    coach_name: str


class VocabularyItemOut(Schema):
    key: str
    label: str


class EmotionOut(VocabularyItemOut):
    quadrant: str


class PromptsOut(Schema):
    prompts: list[PromptOut]
    prompt_of_the_day: PromptOut
    emotions: list[EmotionOut]
    sensations: list[VocabularyItemOut]
    body_zones: list[VocabularyItemOut]
    practices: list[VocabularyItemOut]


class IntentionIn(Schema):
    text: str = Field(description="Empty clears today's intention.")


class IntentionOut(Schema):
    day: date
    text: str
