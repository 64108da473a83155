"""Local fake of the Telegram Bot API for end-to-end tests.

Point aiogram at it with ``AiohttpSession(api=TelegramAPIServer.from_base(api.base_url))``.
Every call is validated against the Bot API spec (PaulSonOfLars ``api.json``) plus hand-written
limits (text length after entity parsing, callback_data bytes, Telegram HTML), then recorded.
Unknown *optional* parameters are accepted (aiogram may speak a newer Bot API than the spec) and
collected in ``unknown_params``. Spec location: ``$WEGWIJS_BOT_API_SPEC``, ``tests/fakes/api.json``
or the shared reference copy.

Media (issue 8): users send photos, voice notes, documents, stickers and videos with fresh,
real-looking file ids (``user_media`` and friends, ``reply_to=`` for replies); the bot sends them
with sendPhoto/Voice/Document/Sticker/Video (upload, URL or known file_id) and relays them with
copyMessage (same file_id, new message_id, reply_parameters -> reply_to_message). Inspect with
``chat_log``, ``RecordedCall.media``/``.reply_to`` and ``media_of``.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import copy
import functools
import hashlib
import itertools
import json
import logging
import mimetypes
import os
import re
import time
from collections.abc import Awaitable, Callable, Collection
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any, Self, TypeVar

from aiohttp import web

from bot.content.telegram_html import HtmlParseError, parse_telegram_html, utf16_len

log = logging.getLogger(__name__)

JSON = dict[str, Any]
ChatId = int | str
T = TypeVar("T")

DEFAULT_TOKEN = "123456789:TEST-token_for_wegwijs"
TOKEN_RE = re.compile(r"^\d+:[A-Za-z0-9_-]+$")
SPEC_PATHS = [
    *([os.environ["WEGWIJS_BOT_API_SPEC"]] if os.environ.get("WEGWIJS_BOT_API_SPEC") else []),
    str(Path(__file__).with_name("api.json")),
    str(Path(__file__).resolve().parents[3] / "shared/reference/telegram-bot-api-spec/api.json"),
]
CHAT_ACTIONS = frozenset(
    {
        "typing", "upload_photo", "record_video", "upload_video", "record_voice", "upload_voice",
        "upload_document", "choose_sticker", "find_location", "record_video_note",
        "upload_video_note",
    }
)  # fmt: skip
OPT_IN_UPDATES = frozenset({"chat_member", "message_reaction", "message_reaction_count"})
# InlineKeyboardButton fields that make it do something; exactly one is required. Buttons with
# fields unknown to the spec (newer Bot API, e.g. aiogram's `disabled`) may have none.
BUTTON_ACTIONS = frozenset(
    {
        "url", "callback_data", "web_app", "login_url", "switch_inline_query",
        "switch_inline_query_current_chat", "switch_inline_query_chosen_chat", "copy_text",
        "callback_game", "pay",
    }
)  # fmt: skip
BUTTON_PASSIVE = frozenset({"text", "icon_custom_emoji_id", "style"})
OUTGOING_PREFIXES = ("send", "copy", "forward", "edit")  # methods a block() makes fail
NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup are "
    "exactly the same as a current content and reply markup of the message"
)
QUERY_INVALID = "Bad Request: query is too old and response timeout expired or query ID is invalid"


@dataclass(frozen=True)
class MethodSpec:
    name: str  # canonical spelling, e.g. "sendMessage"
    fields: dict[str, JSON]
    returns: tuple[str, ...]


@functools.cache
def load_spec() -> dict[str, MethodSpec]:
    """Methods keyed by lower-cased name (Bot API method names are case-insensitive)."""
    path = next((Path(p) for p in SPEC_PATHS if Path(p).is_file()), None)
    if path is None:
        raise FileNotFoundError(f"Bot API spec api.json not found in {SPEC_PATHS}")
    data = json.loads(path.read_text(encoding="utf-8"))
    return {
        name.lower(): MethodSpec(
            name, {f["name"]: f for f in m.get("fields", [])}, tuple(m.get("returns", []))
        )
        for name, m in data["methods"].items()
    }


class ApiError(Exception):
    """An error response; ``injected`` marks faults requested by the test (429/403)."""

    def __init__(
        self, status: int, description: str, retry_after: int | None = None, injected: bool = False
    ) -> None:
        super().__init__(description)
        self.status, self.description = status, description
        self.retry_after, self.injected = retry_after, injected

    def body(self) -> JSON:
        body: JSON = {"ok": False, "error_code": self.status, "description": self.description}
        if self.retry_after is not None:
            body["parameters"] = {"retry_after": self.retry_after}
        return body


@dataclass
class UploadedFile:
    filename: str
    content: bytes
    content_type: str = "application/octet-stream"


@dataclass
class RecordedCall:
    """A successful call; ``message`` is a snapshot of the message it created or edited."""

    method: str
    chat_id: ChatId | None
    params: JSON
    message: JSON | None = None
    files: dict[str, UploadedFile] = field(default_factory=dict)

    @property
    def text(self) -> str | None:
        """Visible text (or caption) of the resulting message, else the raw ``text`` param."""
        if self.message is not None:
            return self.message.get("text", self.message.get("caption"))
        return self.params.get("text")

    @property
    def buttons(self) -> list[list[JSON]]:
        """Inline keyboard rows sent with this call ([] if none)."""
        markup = self.params.get("reply_markup")
        return markup.get("inline_keyboard", []) if isinstance(markup, dict) else []

    def button_data(self, text: str) -> str:
        """callback_data of the inline button labelled ``text``."""
        for button in itertools.chain.from_iterable(self.buttons):
            if button.get("text") == text and "callback_data" in button:
                return str(button["callback_data"])
        raise AssertionError(f"no button {text!r} in {self.buttons}")

    # issue 8: media and reply links of the resulting message
    @property
    def message_id(self) -> int | None:
        return int(self.message["message_id"]) if self.message is not None else None

    @property
    def media(self) -> tuple[str, str] | None:
        """(kind, file_id) of the resulting message's media, e.g. ("photo", "AgAC..."), or None."""
        return media_of(self.message)

    @property
    def reply_to(self) -> int | None:
        """message_id the resulting message replies to (same chat), or None."""
        reply = (self.message or {}).get("reply_to_message")
        return int(reply["message_id"]) if isinstance(reply, dict) else None


@dataclass
class RequestRecord:
    """Any request, including rejected ones (``error`` set)."""

    method: str
    params: JSON
    status: int = 200
    error: str | None = None
    injected: bool = False


@dataclass
class _Fault:
    method: str  # lower-cased
    chat_id: ChatId | None  # None = any chat
    status: int
    retry_after: int
    remaining: int
    description: str | None

    def error(self) -> ApiError:
        if self.status == 429:
            desc = self.description or f"Too Many Requests: retry after {self.retry_after}"
            return ApiError(429, desc, retry_after=self.retry_after, injected=True)
        default = {
            403: "Forbidden: bot was blocked by the user",
            400: "Bad Request: chat not found",
        }
        desc = self.description or default.get(self.status, "Internal Server Error")
        return ApiError(self.status, desc, injected=True)


def _chat_key(value: Any) -> ChatId | None:
    if value is None or isinstance(value, int):
        return value
    text = str(value)
    return int(text) if re.fullmatch(r"-?\d+", text) else text


def _coerce(name: str, value: Any, types: list[str]) -> Any:
    """Decode a form-encoded (string) value according to the spec's field types."""
    if not isinstance(value, str) or "String" in types or "InputFile" in types:
        return value
    try:
        if types == ["Integer"]:
            return int(value)
        if types == ["Float"]:
            return float(value)
        if types == ["Boolean"]:
            return {"true": True, "false": False, "1": True, "0": False}[value.lower()]
        return json.loads(value)
    except (ValueError, KeyError):
        raise ApiError(400, f"Bad Request: can't parse {name} JSON object") from None


def _render(text: str, parse_mode: Any) -> tuple[str, list[JSON]]:
    """Apply parse_mode: visible text + entities. Markdown is passed through unchecked."""
    mode = str(parse_mode or "").lower()
    if mode == "html":
        try:
            parsed = parse_telegram_html(text)
        except HtmlParseError as e:
            raise ApiError(400, f"Bad Request: can't parse entities: {e}") from None
        return parsed.text, parsed.entities
    if mode in ("", "markdown", "markdownv2"):
        return text, []
    raise ApiError(400, f"Bad Request: unsupported parse_mode {parse_mode}")


def _formatted(params: JSON, key: str) -> JSON:
    """Message fields for ``text`` or ``caption`` (+ entities) as Telegram would store them."""
    if key not in params:
        return {}
    text, entities = _render(str(params[key]), params.get("parse_mode"))
    entity_key = "entities" if key == "text" else "caption_entities"
    explicit = params.get(entity_key)
    entities = entities or (explicit if isinstance(explicit, list) else [])
    return {key: text, **({entity_key: entities} if entities else {})}


def _inline_markup(params: JSON) -> JSON | None:
    markup = params.get("reply_markup")
    if isinstance(markup, dict) and "inline_keyboard" in markup:
        return {"inline_keyboard": markup["inline_keyboard"]}
    return None


def _check_markup(markup: Any) -> None:
    bad_json = ApiError(400, "Bad Request: can't parse reply keyboard markup JSON object")
    if not isinstance(markup, dict):
        raise bad_json
    rows = markup.get("inline_keyboard", markup.get("keyboard", []))
    if not isinstance(rows, list) or not all(isinstance(r, list) for r in rows):
        raise bad_json
    buttons = [b if isinstance(b, dict) else {"text": b} for row in rows for b in row]
    if len(buttons) > 100:
        raise ApiError(400, "Bad Request: reply markup is too long")
    for button in buttons:
        if not str(button.get("text") or "").strip():
            raise ApiError(400, "Bad Request: can't parse inline keyboard button: text is empty")
        if "inline_keyboard" not in markup:
            continue
        actions = len(BUTTON_ACTIONS.intersection(button))
        if actions > 1 or (actions == 0 and set(button) <= BUTTON_PASSIVE):
            raise ApiError(
                400,
                "Bad Request: can't parse inline keyboard button: exactly one of the optional "
                "action fields (callback_data, url, ...) must be used",
            )
        data = button.get("callback_data")
        if "callback_data" in button and not (
            isinstance(data, str) and 1 <= len(data.encode("utf-8")) <= 64
        ):
            raise ApiError(400, "Bad Request: BUTTON_DATA_INVALID")


async def _read_params(request: web.Request) -> tuple[JSON, dict[str, UploadedFile]]:
    """Query string + JSON, urlencoded or multipart body; file parts are returned separately."""
    params: JSON = dict(request.query)
    files: dict[str, UploadedFile] = {}
    if request.method != "POST" or not request.can_read_body:
        return params, files
    if request.content_type == "application/json":
        try:
            body = await request.json()
        except ValueError:
            raise ApiError(400, "Bad Request: can't parse JSON request body") from None
        if not isinstance(body, dict):
            raise ApiError(400, "Bad Request: JSON request body must be an object")
        params.update(body)
        return params, files
    for key, value in (await request.post()).items():
        if isinstance(value, web.FileField):
            files[key] = UploadedFile(value.filename, value.file.read(), value.content_type)
        else:
            params[key] = value.decode() if isinstance(value, bytes) else value
    return params, files


# ---- media, file ids, copies and replies (issue 8) -----------------------------------------
MEDIA_KINDS = ("photo", "voice", "document", "sticker", "video")
CAPTIONED_KINDS = frozenset({"photo", "voice", "document", "video", "audio", "animation"})
# Message fields copyMessage carries over; everything else (ids, sender, reply, keyboard) is new.
COPYABLE_FIELDS = frozenset(
    {
        "text", "entities", "link_preview_options", "caption", "caption_entities",
        "show_caption_above_media", "has_media_spoiler", "audio", "animation", "video_note",
        "contact", "location", "venue", "dice", "poll", *MEDIA_KINDS,
    }
)  # fmt: skip
SEND_METHOD_KINDS = {
    "sendPhoto": "photo",
    "sendVoice": "voice",
    "sendDocument": "document",
    "sendSticker": "sticker",
    "sendVideo": "video",
}
# Real file_ids are base64url and start with the file type; file_unique_ids start with AQAD
# (photos) or AgAD (other files).
_FILE_ID_TYPE = {
    "photo": "AgAC", "voice": "AwAC", "video": "BAAC", "document": "BQAC", "sticker": "CAAC",
}  # fmt: skip
_FOLDERS = {
    "photo": "photos", "voice": "voice", "video": "videos", "document": "documents",
    "sticker": "stickers",
}  # fmt: skip
# What a (fake) user's phone uploads when the test does not say: (file name, bytes, mime type).
_USER_FILES = {
    "photo": ("photo.jpg", b"\xff\xd8\xff\xe0\x00\x10JFIF fake jpeg", "image/jpeg"),
    "voice": ("voice.oga", b"OggS\x00\x02 fake opus voice note", "audio/ogg"),
    "document": ("brief.pdf", b"%PDF-1.7 fake letter from the municipality", "application/pdf"),
    "sticker": ("sticker.webp", b"RIFF\x24\x00\x00\x00WEBPVP8 fake", "image/webp"),
    "video": ("video.mp4", b"\x00\x00\x00\x18ftypmp42 fake video", "video/mp4"),
}
_IMAGE_MAGIC = (b"\xff\xd8\xff", b"\x89PNG", b"GIF8", b"BM")  # + RIFF....WEBP
_PHOTO_WIDTHS = (90, 320, 800)
_MAX_PHOTO_BYTES, _MAX_UPLOAD_BYTES, _MAX_DOWNLOAD_BYTES = 10 << 20, 50 << 20, 20 << 20


def _file_ids(kind: str, number: int) -> tuple[str, str]:
    """A realistic-looking (file_id, file_unique_id) pair, deterministic per number."""
    digest = hashlib.blake2b(f"{kind}:{number}".encode(), digest_size=52).digest()
    body = base64.urlsafe_b64encode(digest).decode().rstrip("=")
    unique = ("AQAD" if kind == "photo" else "AgAD") + body[-12:]
    return f"{_FILE_ID_TYPE.get(kind, 'BQAC')}AgQAAxkBAA{body[:58]}", unique


def media_of(message: JSON | None) -> tuple[str, str] | None:
    """(kind, file_id) of a message's media (the largest photo size), or None for text."""
    for kind in (*MEDIA_KINDS, "audio", "animation", "video_note"):
        value = (message or {}).get(kind)
        item = value[-1] if isinstance(value, list) and value else value
        if isinstance(item, dict) and "file_id" in item:
            return kind, str(item["file_id"])
    return None


def _truthy(value: Any) -> bool:
    return value is True or str(value).lower() in ("true", "1")


@functools.cache
def load_types() -> dict[str, dict[str, JSON]]:
    """Bot API object types from the same spec file: type name -> field name -> field."""
    path = next((Path(p) for p in SPEC_PATHS if Path(p).is_file()), None)
    if path is None:
        raise FileNotFoundError(f"Bot API spec api.json not found in {SPEC_PATHS}")
    data = json.loads(path.read_text(encoding="utf-8"))
    return {name: {f["name"]: f for f in t.get("fields", [])} for name, t in data["types"].items()}


def _check_object(param: str, value: Any, type_name: str) -> JSON:
    """An object parameter must be a JSON object with the spec's required fields."""
    if not isinstance(value, dict):
        raise ApiError(400, f"Bad Request: can't parse {param} JSON object")
    for name, f in load_types()[type_name].items():
        if f["required"] and name not in value:
            raise ApiError(400, f'Bad Request: field "{name}" of {param} is required')
        if name in value and f["types"] == ["Integer"] and not isinstance(value[name], int):
            raise ApiError(400, f'Bad Request: field "{name}" of {param} must be an Integer')
    return value


def _caption(p: JSON) -> JSON:
    """caption (+ caption_entities) of a send/copy call; an empty caption means none."""
    fields = _formatted(p, "caption")
    return fields if fields.get("caption") else {}


def _mime_type(file: UploadedFile) -> str:
    if file.content_type and file.content_type != "application/octet-stream":
        return file.content_type
    return mimetypes.guess_type(file.filename)[0] or "application/octet-stream"


class FakeBotAPI:
    """In-process fake Bot API server with recording, update queue and fault injection."""

    def __init__(self, *, strict_chats: bool = False) -> None:
        self.strict_chats = strict_chats  # True: sending to a never-seen chat -> "chat not found"
        self.sent: list[RecordedCall] = []  # successful calls except getUpdates
        self.requests: list[RequestRecord] = []
        self.errors: list[RequestRecord] = []  # non-injected error responses
        self.unknown_params: set[tuple[str, str]] = set()  # (method, param) not in the spec
        self.filtered_updates: list[JSON] = []  # dropped because of allowed_updates
        self.commands: dict[tuple[str, str], list[JSON]] = {}  # (scope json, lang) -> commands
        self.descriptions: dict[str, str] = {}  # language_code ("" = default) -> text
        self.short_descriptions: dict[str, str] = {}
        self.callback_answers: dict[str, JSON] = {}  # callback_query_id -> answer params
        self._bot_id = int(DEFAULT_TOKEN.split(":")[0])
        self._updates: list[JSON] = []
        self._update_ids = itertools.count(1)
        self._allowed_updates: list[str] = []
        self._users: dict[int, JSON] = {}
        self._messages: dict[tuple[ChatId, int], JSON] = {}
        self._last_message_id: dict[ChatId, int] = {}
        self._callbacks: dict[str, JSON] = {}  # unanswered callback queries
        self._callback_ids = itertools.count(1)
        self._files: dict[str, tuple[str, UploadedFile]] = {}  # file_id -> (file_path, file)
        self._media: dict[str, tuple[str, Any]] = {}  # file_id -> (kind, Message field value)
        self._unique_ids: dict[str, str] = {}  # file_id -> file_unique_id
        self._faults: list[_Fault] = []
        self._blocked: set[ChatId] = set()
        self._cursors: dict[ChatId, int] = {}
        self._activity = asyncio.Event()  # replaced after every request (wakes waiters)
        self._updates_changed = asyncio.Event()  # replaced after every enqueue (long poll)
        self._closing = False
        self._runner: web.AppRunner | None = None
        self._port = 0
        self._handlers: dict[str, Callable[[JSON, RecordedCall], Awaitable[Any]]] = {
            "getMe": self._get_me,
            "getUpdates": self._get_updates,
            "deleteWebhook": self._delete_webhook,
            "getWebhookInfo": self._get_webhook_info,
            "setMyCommands": self._set_my_commands,
            "getMyCommands": self._get_my_commands,
            "deleteMyCommands": self._delete_my_commands,
            "setMyDescription": self._set_description,
            "setMyShortDescription": self._set_description,
            "getMyDescription": self._get_description,
            "getMyShortDescription": self._get_description,
            "sendMessage": self._send_message,
            "editMessageText": self._edit_message_text,
            "editMessageReplyMarkup": self._edit_reply_markup,
            "answerCallbackQuery": self._answer_callback_query,
            **{method: self._send_media for method in SEND_METHOD_KINDS},  # issue 8
            "copyMessage": self._copy_message,
            "sendVenue": self._send_venue,  # issue 11
            "sendChatAction": self._send_chat_action,
            "getFile": self._get_file,
        }

    # ---- lifecycle -------------------------------------------------------------------------
    async def start(self) -> None:
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        app.router.add_get("/file/bot{token}/{path:.+}", self._handle_file)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self._port = int(self._runner.addresses[0][1])

    async def stop(self) -> None:
        self._closing = True
        self._wake_updates()  # end pending long polls
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._port}"

    @property
    def me(self) -> JSON:
        return {
            "id": self._bot_id,
            "is_bot": True,
            "first_name": "Wegwijs Test",
            "username": "wegwijs_test_bot",
        }

    # ---- HTTP ------------------------------------------------------------------------------
    async def _handle(self, request: web.Request) -> web.Response:
        token, method = request.match_info["token"], request.match_info["method"]
        record = RequestRecord(method, {})
        self.requests.append(record)
        try:
            if not TOKEN_RE.match(token):
                raise ApiError(401, "Unauthorized")
            spec = load_spec().get(method.lower())
            if spec is None:
                raise ApiError(404, "Not Found: method not found")
            record.method = spec.name
            record.params, files = await _read_params(request)
            self._bot_id = int(token.split(":", 1)[0])
            call = self._validate(spec, record.params, files)
            self._inject_faults(call)
            result = await self._handlers.get(spec.name, self._generic)(call.params, call)
        except Exception as exc:  # malformed input must not become a bare HTTP 500
            e = exc if isinstance(exc, ApiError) else ApiError(400, f"Bad Request: {exc!r}")
            if not isinstance(exc, ApiError):
                log.exception("fake Bot API could not process %s", record.method)
            record.status, record.error, record.injected = e.status, e.description, e.injected
            if not e.injected:
                self.errors.append(record)
                log.warning("fake Bot API rejected %s: %s", record.method, e.description)
            self._notify()
            return web.json_response(e.body(), status=e.status)
        if call.method != "getUpdates":
            self.sent.append(call)
        self._notify()
        return web.json_response({"ok": True, "result": result})

    async def _handle_file(self, request: web.Request) -> web.StreamResponse:
        path = request.match_info["path"]
        for file_path, file in self._files.values():
            if file_path == path and TOKEN_RE.match(request.match_info["token"]):
                return web.Response(body=file.content, content_type=file.content_type)
        return web.json_response(ApiError(404, "Not Found").body(), status=404)

    def _validate(
        self, spec: MethodSpec, params: JSON, files: dict[str, UploadedFile]
    ) -> RecordedCall:
        call = RecordedCall(spec.name, None, params)
        for name, f in spec.fields.items():
            if name in params:
                params[name] = _coerce(name, params[name], f["types"])
            elif name in files and "InputFile" in f["types"]:
                params[name] = files[name]  # file part named like the field (PTB, curl -F)
            value = params.get(name)
            if (
                "InputFile" in f["types"]
                and isinstance(value, str)
                and value.startswith("attach://")
            ):
                if value[9:] not in files:  # aiogram: field="attach://<key>" + part named <key>
                    raise ApiError(400, f"Bad Request: file {value} not found in the request")
                params[name] = files[value[9:]]
            if isinstance(params.get(name), UploadedFile):
                call.files[name] = params[name]
            if f["required"] and name not in params:
                raise ApiError(400, f'Bad Request: parameter "{name}" is required')
        for name in params.keys() - spec.fields.keys():
            self.unknown_params.add((spec.name, name))
            log.info("fake Bot API: %s got parameter %r unknown to the spec", spec.name, name)
        call.chat_id = _chat_key(params.get("chat_id"))
        if (
            spec.name.startswith("editMessage")
            and "inline_message_id" not in params
            and not ("chat_id" in params and "message_id" in params)
        ):
            raise ApiError(400, "Bad Request: message identifier is not specified")
        if spec.name == "editMessageText" and "text" not in params and "rich_message" not in params:
            raise ApiError(400, 'Bad Request: parameter "text" is required')
        if spec.name in ("sendMessage", "editMessageText") and "text" in params:
            text, _ = _render(str(params["text"]), params.get("parse_mode"))
            if not text.strip():
                raise ApiError(400, "Bad Request: message text is empty")
            if utf16_len(text) > 4096:
                raise ApiError(400, "Bad Request: message is too long")
        if "caption" in params and "caption" in spec.fields:
            caption, _ = _render(str(params["caption"]), params.get("parse_mode"))
            if utf16_len(caption) > 1024:
                raise ApiError(400, "Bad Request: message caption is too long")
        if spec.name == "answerCallbackQuery" and utf16_len(str(params.get("text", ""))) > 200:
            raise ApiError(400, "Bad Request: MESSAGE_TOO_LONG (callback answer text > 200)")
        if "reply_markup" in params:
            _check_markup(params["reply_markup"])
        return call

    def _inject_faults(self, call: RecordedCall) -> None:
        if call.chat_id in self._blocked and call.method.startswith(OUTGOING_PREFIXES):
            raise ApiError(403, "Forbidden: bot was blocked by the user", injected=True)
        for fault in self._faults:
            if (
                fault.remaining > 0
                and fault.method == call.method.lower()
                and fault.chat_id in (None, call.chat_id)
            ):
                fault.remaining -= 1
                raise fault.error()

    def _notify(self) -> None:
        self._activity.set()
        self._activity = asyncio.Event()

    def _wake_updates(self) -> None:
        self._updates_changed.set()
        self._updates_changed = asyncio.Event()

    # ---- chats, users, messages ------------------------------------------------------------
    def _user(self, user_id: int) -> JSON:
        return self._users.setdefault(
            user_id, {"id": user_id, "is_bot": False, "first_name": "Test", "language_code": "en"}
        )

    def _chat(self, chat_id: ChatId) -> JSON:
        if isinstance(chat_id, int) and chat_id in self._users:
            return {
                "id": chat_id,
                "type": "private",
                "first_name": self._users[chat_id]["first_name"],
            }
        if self.strict_chats:
            raise ApiError(400, "Bad Request: chat not found")
        if isinstance(chat_id, str):
            return {
                "id": -1001000000001,
                "type": "channel",
                "title": chat_id,
                "username": chat_id.lstrip("@"),
            }
        if chat_id > 0:
            return {"id": chat_id, "type": "private", "first_name": f"User {chat_id}"}
        kind = "supergroup" if str(chat_id).startswith("-100") else "group"
        return {"id": chat_id, "type": kind, "title": f"Chat {chat_id}"}

    def _new_message(self, chat_id: ChatId, sender: JSON, content: JSON) -> JSON:
        chat = self._chat(chat_id)
        message_id = self._last_message_id.get(chat_id, 0) + 1  # shared by both sides, per chat
        self._last_message_id[chat_id] = message_id
        message = {
            "message_id": message_id,
            "from": sender,
            "chat": chat,
            "date": int(time.time()),
            **content,
        }
        self._messages[(chat_id, message_id)] = message
        return message

    def _deliver(self, call: RecordedCall, content: JSON) -> JSON:
        """Create a bot message in call.chat_id from ``content`` + the call's inline keyboard."""
        assert call.chat_id is not None
        content.update(self._delivery_fields(call.chat_id, call.params))  # issue 8: replies
        if (markup := _inline_markup(call.params)) is not None:
            content["reply_markup"] = markup
        message = self._new_message(call.chat_id, self.me, content)
        call.message = dict(message)
        return message

    def _bot_message(self, chat_id: ChatId | None, message_id: Any) -> JSON:
        message = self._messages.get((chat_id, int(message_id))) if chat_id is not None else None
        if message is None:
            raise ApiError(400, "Bad Request: message to edit not found")
        if message["from"]["id"] != self._bot_id:
            raise ApiError(400, "Bad Request: message can't be edited")
        return message

    def message(self, chat_id: ChatId, message_id: int) -> JSON | None:
        """Current state of a message (after edits)."""
        return self._messages.get((_chat_key(chat_id) or chat_id, message_id))

    def _store_file(self, file: UploadedFile, kind: str) -> str:
        """Keep an uploaded file; returns its new file_id (file_unique_id in _unique_ids)."""
        number = len(self._files) + 1
        file_id, unique_id = _file_ids(kind, number)
        suffix = ".oga" if kind == "voice" else Path(file.filename).suffix
        self._files[file_id] = (f"{_FOLDERS.get(kind, 'documents')}/file_{number}{suffix}", file)
        self._unique_ids[file_id] = unique_id
        return file_id

    # ---- method handlers -------------------------------------------------------------------
    async def _get_me(self, p: JSON, call: RecordedCall) -> Any:
        return {
            **self.me,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    async def _get_updates(self, p: JSON, call: RecordedCall) -> Any:
        offset, limit = int(p.get("offset") or 0), min(max(int(p.get("limit") or 100), 1), 100)
        if "allowed_updates" in p:
            self._allowed_updates = list(p["allowed_updates"] or [])
        if offset > 0:  # confirms (forgets) every update below offset
            self._updates = [u for u in self._updates if u["update_id"] >= offset]
        elif offset < 0:
            self._updates = self._updates[offset:]
        loop = asyncio.get_running_loop()
        deadline = loop.time() + max(int(p.get("timeout") or 0), 0)
        while True:
            allowed = set(self._allowed_updates)
            for update in list(self._updates):
                kind = next(k for k in update if k != "update_id")
                if (kind not in allowed) if allowed else (kind in OPT_IN_UPDATES):
                    self._updates.remove(update)
                    self.filtered_updates.append(update)
            remaining = deadline - loop.time()
            if self._updates or self._closing or remaining <= 0:
                return self._updates[:limit]
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._updates_changed.wait(), remaining)

    async def _delete_webhook(self, p: JSON, call: RecordedCall) -> Any:
        if p.get("drop_pending_updates"):
            self._updates.clear()
        return True

    async def _get_webhook_info(self, p: JSON, call: RecordedCall) -> Any:
        return {
            "url": "",
            "has_custom_certificate": False,
            "pending_update_count": len(self._updates),
        }

    @staticmethod
    def _scope_lang(p: JSON) -> tuple[str, str]:
        lang = str(p.get("language_code") or "")
        if lang and not re.fullmatch(r"[a-z]{2}", lang):
            raise ApiError(400, "Bad Request: invalid language code specified")
        return json.dumps(p.get("scope") or {"type": "default"}, sort_keys=True), lang

    def commands_for(self, language_code: str = "", scope: JSON | None = None) -> list[JSON] | None:
        """Commands stored by setMyCommands for exactly this scope + language (None if unset)."""
        return self.commands.get(self._scope_lang({"language_code": language_code, "scope": scope}))

    async def _set_my_commands(self, p: JSON, call: RecordedCall) -> Any:
        commands = p["commands"]
        if not isinstance(commands, list) or len(commands) > 100:
            raise ApiError(400, "Bad Request: too many commands or commands is not an array")
        for c in commands:
            if not re.fullmatch(r"[a-z0-9_]{1,32}", str(c.get("command", ""))):
                raise ApiError(400, "Bad Request: BOT_COMMAND_INVALID")
            if not 1 <= len(str(c.get("description", "")).strip()) <= 256:
                raise ApiError(400, "Bad Request: command description must be 1-256 characters")
        self.commands[self._scope_lang(p)] = [
            {"command": c["command"], "description": c["description"]} for c in commands
        ]
        return True

    async def _get_my_commands(self, p: JSON, call: RecordedCall) -> Any:
        return self.commands.get(self._scope_lang(p), [])

    async def _delete_my_commands(self, p: JSON, call: RecordedCall) -> Any:
        self.commands.pop(self._scope_lang(p), None)
        return True

    async def _set_description(self, p: JSON, call: RecordedCall) -> Any:
        short = call.method == "setMyShortDescription"
        key, limit = ("short_description", 120) if short else ("description", 512)
        store = self.short_descriptions if short else self.descriptions
        lang, text = self._scope_lang(p)[1], str(p.get(key) or "")
        if len(text) > limit:
            raise ApiError(400, f"Bad Request: {key} is too long (max {limit})")
        if text:
            store[lang] = text
        else:
            store.pop(lang, None)
        return True

    async def _get_description(self, p: JSON, call: RecordedCall) -> Any:
        short = call.method == "getMyShortDescription"
        key, store = (
            ("short_description", self.short_descriptions)
            if short
            else ("description", self.descriptions)
        )
        return {key: store.get(self._scope_lang(p)[1], "")}

    async def _send_message(self, p: JSON, call: RecordedCall) -> Any:
        return self._deliver(call, _formatted(p, "text"))

    async def _edit_message_text(self, p: JSON, call: RecordedCall) -> Any:
        if "inline_message_id" in p:
            return True
        message = self._bot_message(call.chat_id, p["message_id"])
        if "text" not in message:
            raise ApiError(400, "Bad Request: there is no text in the message to edit")
        new, markup = _formatted(p, "text"), _inline_markup(p)  # no markup = keyboard removed
        if (new.get("text"), new.get("entities"), markup) == (
            message["text"],
            message.get("entities"),
            message.get("reply_markup"),
        ):
            raise ApiError(400, NOT_MODIFIED)
        message.pop("entities", None)
        message.pop("reply_markup", None)
        message.update(
            new, edit_date=int(time.time()), **({"reply_markup": markup} if markup else {})
        )
        call.message = dict(message)
        return message

    async def _edit_reply_markup(self, p: JSON, call: RecordedCall) -> Any:
        if "inline_message_id" in p:
            return True
        message = self._bot_message(call.chat_id, p["message_id"])
        markup = _inline_markup(p)
        if markup == message.get("reply_markup"):
            raise ApiError(400, NOT_MODIFIED)
        message.pop("reply_markup", None)
        message.update(edit_date=int(time.time()), **({"reply_markup": markup} if markup else {}))
        call.message = dict(message)
        return message

    async def _answer_callback_query(self, p: JSON, call: RecordedCall) -> Any:
        query_id = str(p["callback_query_id"])
        if self._callbacks.pop(query_id, None) is None:  # unknown or already answered
            raise ApiError(400, QUERY_INVALID)
        self.callback_answers[query_id] = p
        return True

    async def _send_chat_action(self, p: JSON, call: RecordedCall) -> Any:
        if p["action"] not in CHAT_ACTIONS:
            raise ApiError(400, "Bad Request: wrong parameter action in request")
        return True

    async def _generic(self, p: JSON, call: RecordedCall) -> Any:
        """Spec-valid method without a dedicated handler: a bare message, or True."""
        returns = load_spec()[call.method.lower()].returns
        if returns in (("Message",), ("Array of Message",)) and call.chat_id is not None:
            message = self._deliver(call, _formatted(p, "caption"))
            return message if returns == ("Message",) else [message]
        if "Boolean" not in returns:
            log.warning("fake Bot API returns True for %s (spec returns %s)", call.method, returns)
        return True

    # ---- media, copies and replies (issue 8) -----------------------------------------------
    async def _send_media(self, p: JSON, call: RecordedCall) -> Any:
        """sendPhoto/sendVoice/sendDocument/sendSticker/sendVideo with a file_id, URL or upload."""
        kind = SEND_METHOD_KINDS[call.method]
        content: JSON = {kind: self._media_param(kind, p[kind], p)}
        if kind in CAPTIONED_KINDS:
            content.update(_caption(p))
        if kind in ("photo", "video") and _truthy(p.get("has_spoiler")):
            content["has_media_spoiler"] = True
        if "caption" in content and _truthy(p.get("show_caption_above_media")):
            content["show_caption_above_media"] = True
        return self._deliver(call, content)

    async def _send_venue(self, p: JSON, call: RecordedCall) -> Any:
        """A map pin with a title and an address, as Telegram's Venue."""
        try:
            latitude, longitude = float(p["latitude"]), float(p["longitude"])
        except (TypeError, ValueError):
            raise ApiError(400, "Bad Request: wrong latitude or longitude") from None
        if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
            raise ApiError(400, "Bad Request: wrong latitude or longitude")
        title, address = str(p.get("title", "")), str(p.get("address", ""))
        if not title or not address:
            raise ApiError(400, "Bad Request: venue title and address must be non-empty")
        location = {"latitude": latitude, "longitude": longitude}
        return self._deliver(call, {"location": location, "venue": {
            "location": location, "title": title, "address": address}})

    async def _copy_message(self, p: JSON, call: RecordedCall) -> Any:
        """The source's content (same media and file_id) as a new bot message -> MessageId."""
        source = self._messages.get((_chat_key(p["from_chat_id"]) or 0, int(p["message_id"])))
        if source is None:
            raise ApiError(400, "Bad Request: message to copy not found")
        content = {k: copy.deepcopy(v) for k, v in source.items() if k in COPYABLE_FIELDS}
        if not content or source.get("has_protected_content"):
            raise ApiError(400, "Bad Request: message can't be copied")
        if "caption" in p and CAPTIONED_KINDS & content.keys():  # ignored for text/stickers
            for key in ("caption", "caption_entities", "show_caption_above_media"):
                content.pop(key, None)
            content.update(_caption(p))
        return {"message_id": self._deliver(call, content)["message_id"]}

    async def _get_file(self, p: JSON, call: RecordedCall) -> Any:
        file_id = str(p["file_id"])
        if file_id not in self._files:
            raise ApiError(400, "Bad Request: wrong file_id or the file is temporarily unavailable")
        path, file = self._files[file_id]
        if len(file.content) > _MAX_DOWNLOAD_BYTES:
            raise ApiError(400, "Bad Request: file is too big")
        return {
            "file_id": file_id,
            "file_unique_id": self._unique_ids[file_id],
            "file_size": len(file.content),
            "file_path": path,
        }

    def _media_param(self, kind: str, value: Any, p: JSON) -> Any:
        """The Message field for a send* media parameter: upload, HTTP URL or known file_id."""
        if isinstance(value, UploadedFile):
            limit = _MAX_PHOTO_BYTES if kind == "photo" else _MAX_UPLOAD_BYTES
            if len(value.content) > limit:
                raise ApiError(413, "Request Entity Too Large")
            if not value.content:
                raise ApiError(400, "Bad Request: file must be non-empty")
            is_image = value.content.startswith(_IMAGE_MAGIC) or value.content[8:12] == b"WEBP"
            if kind == "photo" and not is_image:
                raise ApiError(400, "Bad Request: IMAGE_PROCESS_FAILED")
            return self._new_media(kind, value, p)
        ref = str(value)
        if ref.startswith(("http://", "https://")):  # Telegram downloads it: a new file
            default_name, content, mime = _USER_FILES[kind]
            name = Path(ref.split("?", 1)[0]).name or default_name
            return self._new_media(kind, UploadedFile(name, content, mime), p)
        if ref not in self._media:
            raise ApiError(400, "Bad Request: wrong file identifier/HTTP URL specified")
        stored_kind, stored = self._media[ref]
        if stored_kind != kind:
            raise ApiError(400, "Bad Request: type of file mismatch")
        return copy.deepcopy(stored)

    def _new_media(self, kind: str, file: UploadedFile, p: JSON) -> Any:
        """Store a new file as Telegram would and return its Message field value."""
        size = len(file.content)
        if kind == "photo":  # several sizes, each with its own file_id; the last is the largest
            sizes: list[JSON] = []
            for width in _PHOTO_WIDTHS:
                file_id = self._store_file(file, kind)
                sizes.append(
                    {
                        "file_id": file_id,
                        "file_unique_id": self._unique_ids[file_id],
                        "width": width,
                        "height": width * 3 // 4,
                        "file_size": max(1, size * width // _PHOTO_WIDTHS[-1]),
                    }
                )
            for item in sizes:
                self._media[item["file_id"]] = (kind, sizes)
            return copy.deepcopy(sizes)
        file_id = self._store_file(file, kind)
        obj: JSON = {"file_id": file_id, "file_unique_id": self._unique_ids[file_id]}
        if kind == "voice":
            obj.update(duration=int(p.get("duration") or 1), mime_type="audio/ogg")
        elif kind == "video":
            obj.update(
                width=int(p.get("width") or 1280),
                height=int(p.get("height") or 720),
                duration=int(p.get("duration") or 1),
                file_name=file.filename,
                mime_type="video/mp4",
            )
        elif kind == "sticker":
            suffix = Path(file.filename).suffix.lower()
            obj.update(
                type="regular",
                width=512,
                height=512,
                is_animated=suffix == ".tgs",
                is_video=suffix == ".webm",
                **({"emoji": str(p["emoji"])} if p.get("emoji") else {}),
            )
        else:
            obj.update(file_name=file.filename, mime_type=_mime_type(file))
        obj["file_size"] = size
        self._media[file_id] = (kind, obj)
        return copy.deepcopy(obj)

    def _reply_snapshot(self, chat_id: ChatId | None, message_id: Any) -> JSON | None:
        """A message as reply_to_message shows it: current state, no nested reply."""
        message = self._messages.get((chat_id, int(message_id))) if chat_id is not None else None
        if message is None:
            return None
        nested = ("reply_to_message", "external_reply", "quote")
        return {k: copy.deepcopy(v) for k, v in message.items() if k not in nested}

    def _delivery_fields(self, chat_id: ChatId, p: JSON) -> JSON:
        """has_protected_content and the reply link of an outgoing message: reply_parameters
        (or the legacy reply_to_message_id aiogram still sends) -> reply_to_message, or
        external_reply for a message of another chat."""
        fields: JSON = {"has_protected_content": True} if _truthy(p.get("protect_content")) else {}
        reply = p.get("reply_parameters")
        if reply is None and p.get("reply_to_message_id") is not None:
            reply = {
                "message_id": int(p["reply_to_message_id"]),
                "allow_sending_without_reply": p.get("allow_sending_without_reply", False),
            }
        if reply is None:
            return fields
        reply = _check_object("reply_parameters", reply, "ReplyParameters")
        in_chat = _chat_key(reply["chat_id"]) if reply.get("chat_id") is not None else chat_id
        target = self._reply_snapshot(in_chat, reply["message_id"])
        if target is None:
            if _truthy(reply.get("allow_sending_without_reply")):
                return fields
            raise ApiError(400, "Bad Request: message to be replied not found")
        if in_chat == chat_id:
            return {**fields, "reply_to_message": target}
        origin: JSON = (
            {"type": "user", "sender_user": target["from"]}
            if "from" in target
            else {"type": "chat", "sender_chat": target["chat"]}
        )
        text = {"text", "entities", "caption", "caption_entities", "show_caption_above_media"}
        media = {k: v for k, v in target.items() if k in COPYABLE_FIELDS - text}
        external = {
            "origin": {**origin, "date": target["date"]},
            "chat": target["chat"],
            "message_id": target["message_id"],
            **media,
        }
        return {**fields, "external_reply": external}

    # test side: users send media and replies; inspection
    def user_media(
        self,
        user_id: int,
        kind: str,
        *,
        caption: str | None = None,
        reply_to: int | None = None,
        language_code: str = "en",
        first_name: str = "Test",
        file_name: str | None = None,
        content: bytes | None = None,
        mime_type: str | None = None,
        duration: int | None = None,
        emoji: str = "👍",
    ) -> JSON:
        """The user sends a new photo/voice/document/sticker/video (fresh file ids), optionally
        with a caption (not for stickers) and as a reply to message ``reply_to`` of their chat."""
        if kind not in MEDIA_KINDS:
            raise ValueError(f"kind must be one of {MEDIA_KINDS}, not {kind!r}")
        if caption is not None and kind not in CAPTIONED_KINDS:
            raise ValueError(f"a {kind} has no caption")
        default_name, default_content, default_mime = _USER_FILES[kind]
        file = UploadedFile(
            file_name or default_name,
            default_content if content is None else content,
            mime_type or default_mime,
        )
        extra = {"duration": duration or (4 if kind == "voice" else 5), "emoji": emoji}
        fields: JSON = {kind: self._new_media(kind, file, extra)}
        if caption:
            fields["caption"] = caption
        return self._user_update(
            user_id, language_code, first_name, self._user_reply(user_id, fields, reply_to)
        )

    def user_voice(
        self, user_id: int, *, duration: int = 4, reply_to: int | None = None, **kw: Any
    ) -> JSON:
        """The user sends a voice note (audio/ogg)."""
        return self.user_media(user_id, "voice", duration=duration, reply_to=reply_to, **kw)

    def user_document(
        self,
        user_id: int,
        file_name: str = "brief.pdf",
        *,
        caption: str | None = None,
        reply_to: int | None = None,
        **kw: Any,
    ) -> JSON:
        """The user sends a document (mime type guessed from file_name unless given)."""
        if "mime_type" not in kw and file_name != _USER_FILES["document"][0]:
            kw["mime_type"] = mimetypes.guess_type(file_name)[0] or "application/octet-stream"
        return self.user_media(
            user_id, "document", file_name=file_name, caption=caption, reply_to=reply_to, **kw
        )

    def user_video(
        self, user_id: int, *, caption: str | None = None, reply_to: int | None = None, **kw: Any
    ) -> JSON:
        """The user sends a video (video/mp4, 1280x720)."""
        return self.user_media(user_id, "video", caption=caption, reply_to=reply_to, **kw)

    def _user_reply(self, user_id: int, content: JSON, reply_to: int | None) -> JSON:
        if reply_to is not None:
            target = self._reply_snapshot(user_id, reply_to)
            if target is None:
                raise AssertionError(f"no message {reply_to} in chat {user_id} to reply to")
            content["reply_to_message"] = target
        return content

    def chat_log(self, chat_id: ChatId) -> list[JSON]:
        """Every message of the chat, from the user and from the bot, oldest first, as now."""
        key = _chat_key(chat_id)
        found = [(mid, m) for (chat, mid), m in self._messages.items() if chat == key]
        return [copy.deepcopy(m) for _, m in sorted(found, key=lambda pair: pair[0])]

    def file_content(self, file_id: str) -> bytes:
        """The bytes behind a file_id (an upload by the bot or a file a user sent)."""
        if file_id not in self._files:
            raise AssertionError(f"unknown file_id {file_id!r}")
        return self._files[file_id][1].content

    # ---- building updates ------------------------------------------------------------------
    def enqueue(self, update: JSON) -> JSON:
        """Queue a raw update (update_id is assigned) and wake long polls."""
        update = {"update_id": next(self._update_ids), **update}
        self._updates.append(update)
        self._wake_updates()
        return update

    def _user_update(
        self, user_id: int, language_code: str, first_name: str, content: JSON
    ) -> JSON:
        user = {
            "id": user_id,
            "is_bot": False,
            "first_name": first_name,
            "language_code": language_code,
        }
        self._users[user_id] = user
        return self.enqueue({"message": dict(self._new_message(user_id, user, content))})

    def user_message(
        self,
        user_id: int,
        text: str,
        language_code: str = "en",
        first_name: str = "Test",
        *,
        reply_to: int | None = None,
    ) -> JSON:
        """A private-chat text message from the user (bot_command entity for '/cmd ...'),
        optionally replying to message ``reply_to`` of the same chat (reply_to_message)."""
        content: JSON = {"text": text}
        if text.startswith("/"):
            command = text.split(maxsplit=1)[0]
            content["entities"] = [
                {"type": "bot_command", "offset": 0, "length": utf16_len(command)}
            ]
        content = self._user_reply(user_id, content, reply_to)
        return self._user_update(user_id, language_code, first_name, content)

    def user_sticker(
        self,
        user_id: int,
        emoji: str = "👍",
        language_code: str = "en",
        first_name: str = "Test",
        *,
        reply_to: int | None = None,
    ) -> JSON:
        return self.user_media(
            user_id, "sticker", emoji=emoji, reply_to=reply_to,
            language_code=language_code, first_name=first_name,
        )  # fmt: skip

    def user_photo(
        self,
        user_id: int,
        caption: str | None = None,
        language_code: str = "en",
        first_name: str = "Test",
        *,
        reply_to: int | None = None,
    ) -> JSON:
        return self.user_media(
            user_id, "photo", caption=caption, reply_to=reply_to,
            language_code=language_code, first_name=first_name,
        )  # fmt: skip

    def press_button(self, user_id: int, message_id: int, data: str) -> JSON:
        """The user presses a button with callback_data ``data`` on a message the bot sent."""
        message = self._messages.get((user_id, message_id))
        if message is None or message["from"]["id"] != self._bot_id:
            raise AssertionError(f"no bot message {message_id} in chat {user_id}")
        rows = message.get("reply_markup", {}).get("inline_keyboard", [])
        datas = [b.get("callback_data") for b in itertools.chain.from_iterable(rows)]
        if data not in datas:
            raise AssertionError(f"message {message_id} has no button {data!r}; has {datas}")
        return self._callback(user_id, data, dict(message))

    def press_raw_callback(self, user_id: int, data: str, message_id: int | None = None) -> JSON:
        """A forged/stale callback query: any data, message may not exist (inaccessible)."""
        message = self._messages.get((user_id, message_id)) if message_id is not None else None
        if message is None and message_id is not None:  # InaccessibleMessage has date 0
            message = {
                "chat": self._chat(self._user(user_id)["id"]),
                "message_id": message_id,
                "date": 0,
            }
        return self._callback(user_id, data, dict(message) if message else None)

    def _callback(self, user_id: int, data: str, message: JSON | None) -> JSON:
        query_id = str(7_000_000_000_000_000 + next(self._callback_ids))
        query: JSON = {
            "id": query_id,
            "from": self._user(user_id),
            "chat_instance": f"ci{user_id}",
            "data": data,
        }
        if message is not None:
            query["message"] = message
        self._callbacks[query_id] = query
        return self.enqueue({"callback_query": query})

    def my_chat_member(self, user_id: int, status: str = "kicked") -> JSON:
        """The user blocks ("kicked", also block()s the chat) or unblocks ("member") the bot."""

        def member(s: str) -> JSON:
            return {"user": self.me, "status": s, **({"until_date": 0} if s == "kicked" else {})}

        old = "member" if status == "kicked" else "kicked"
        user = self._user(user_id)
        (self.block if status == "kicked" else self.unblock)(user_id)
        return self.enqueue(
            {
                "my_chat_member": {
                    "chat": self._chat(user_id),
                    "from": user,
                    "date": int(time.time()),
                    "old_chat_member": member(old),
                    "new_chat_member": member(status),
                }
            }
        )

    # ---- fault injection -------------------------------------------------------------------
    def fail_next(
        self,
        method: str,
        chat_id: ChatId | None,
        status: int = 429,
        retry_after: int = 1,
        times: int = 1,
        description: str | None = None,
    ) -> None:
        """Make the next ``times`` calls of ``method`` to ``chat_id`` (None: any) fail."""
        self._faults.append(
            _Fault(method.lower(), _chat_key(chat_id), status, retry_after, times, description)
        )

    def block(self, chat_id: ChatId) -> None:
        """All outgoing send/copy/forward/edit calls to chat_id fail with 403 until unblock()."""
        self._blocked.add(_chat_key(chat_id) or chat_id)

    def unblock(self, chat_id: ChatId) -> None:
        self._blocked.discard(_chat_key(chat_id) or chat_id)

    # ---- inspection and waiting ------------------------------------------------------------
    @staticmethod
    def _is_message(call: RecordedCall, methods: Collection[str] | None) -> bool:
        if methods is not None:
            return call.method in methods
        return call.message is not None and call.method != "editMessageReplyMarkup"

    def messages_to(
        self, chat_id: ChatId, methods: Collection[str] | None = None
    ) -> list[RecordedCall]:
        """Message-producing calls to chat_id (send*/copyMessage/editMessageText by default)."""
        key = _chat_key(chat_id)
        return [c for c in self.sent if c.chat_id == key and self._is_message(c, methods)]

    def dump(self, chat_id: ChatId | None = None) -> str:
        key = _chat_key(chat_id)
        lines = [
            f"  {c.method} chat={c.chat_id} text={c.text!r} buttons={c.buttons}"
            + (f" media={c.media} reply_to={c.reply_to}" if c.media or c.reply_to else "")
            for c in self.sent
            if key is None or c.chat_id == key
        ]
        lines += [f"  ERROR {r.status} {r.method}: {r.error}" for r in self.errors]
        return "\n".join(lines) or "  (nothing)"

    async def _wait(self, check: Callable[[], T | None], timeout: float) -> T | None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while (result := check()) is None:
            remaining = deadline - loop.time()
            if remaining <= 0:
                return None
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._activity.wait(), remaining)
        return result

    async def wait_for(
        self, predicate: Callable[[RecordedCall], bool], timeout: float = 5.0
    ) -> RecordedCall:
        """First recorded call (past or future) matching ``predicate``."""
        found = await self._wait(
            lambda: next((c for c in self.sent if predicate(c)), None), timeout
        )
        if found is None:
            raise AssertionError(f"no matching call within {timeout}s; recorded:\n{self.dump()}")
        return found

    async def next_messages(
        self,
        chat_id: ChatId,
        count: int = 1,
        timeout: float = 5.0,
        methods: Collection[str] | None = None,
    ) -> list[RecordedCall]:
        """The next ``count`` not-yet-consumed message calls to chat_id (per-chat cursor)."""
        key = _chat_key(chat_id)
        assert key is not None and count >= 1

        def take() -> list[tuple[int, RecordedCall]] | None:
            start = self._cursors.get(key, 0)
            hits = [
                (i, c)
                for i, c in enumerate(self.sent[start:], start)
                if c.chat_id == key and self._is_message(c, methods)
            ]
            return hits[:count] if len(hits) >= count else None

        hits = await self._wait(take, timeout)
        if hits is None:
            raise AssertionError(
                f"expected {count} new message(s) to {chat_id} within {timeout}s; recorded for "
                f"this chat (cursor at {self._cursors.get(key, 0)}):\n{self.dump(chat_id)}"
            )
        self._cursors[key] = hits[-1][0] + 1
        return [c for _, c in hits]


# ==== Telegram-like flood limits, opt-in (issue 8: bench/taps.py) ============================
# Self-contained: nothing above depends on it. Telegram: "in a single chat, avoid sending more
# than one message per second. We may allow short bursts that go over this limit, but
# eventually you'll begin receiving 429 errors", and about 30 messages per second overall.
# Editing shares the per-chat limit (TDLib's maintainer in tdlib/td#2592 and #3034);
# answerCallbackQuery has none. Telegram publishes no exact numbers: these are token buckets
# with the numbers the bot's own SendLimiter assumes, plus a little timing slack.
FLOOD_MESSAGE_PREFIXES = ("send", "copyMessage", "forwardMessage")
FLOOD_FREE_METHODS = frozenset({"sendChatAction"})


@dataclass
class FloodLimits:
    per_chat_rate: float = 1.0  # messages per second in one chat
    per_chat_burst: float = 3.0
    global_rate: float = 30.0  # messages per second over all chats
    global_burst: float = 30.0
    edits_count: bool = True  # editMessage* takes from the chat's budget (always the global)
    slack: float = 0.1  # seconds of tolerance: requests arrive a little bunched


@dataclass
class _FloodBucket:
    rate: float
    burst: float
    tokens: float
    at: float

    def take(self, now: float, slack: float) -> float:
        """One token: 0.0 if there is one, else the seconds until there is (nothing taken)."""
        self.tokens = min(self.burst, self.tokens + max(0.0, now - self.at) * self.rate)
        self.at = now
        if self.tokens - 1.0 >= -slack * self.rate:
            self.tokens -= 1.0
            return 0.0
        return (1.0 - self.tokens) / self.rate


class FloodLimitedBotAPI(FakeBotAPI):
    """FakeBotAPI that answers 429 (retry_after in whole seconds) above ``limits``; counts them
    in ``flood_429s`` by scope ("chat", "global"). Recorded as injected, not as ``errors``."""

    def __init__(self, limits: FloodLimits | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.limits = limits or FloodLimits()
        self.flood_clock: Callable[[], float] = time.monotonic
        self.flood_429s: dict[str, int] = {"chat": 0, "global": 0}
        self._flood_chats: dict[ChatId, _FloodBucket] = {}
        self._flood_global: _FloodBucket | None = None

    def _inject_faults(self, call: RecordedCall) -> None:
        super()._inject_faults(call)
        method = call.method
        edit = method.startswith("editMessage")
        if call.chat_id is None or method in FLOOD_FREE_METHODS or not (
            edit or method.startswith(FLOOD_MESSAGE_PREFIXES)
        ):
            return
        now, limits = self.flood_clock(), self.limits
        chat: _FloodBucket | None = None
        if limits.edits_count or not edit:
            burst = limits.per_chat_burst
            chat = self._flood_chats.setdefault(
                call.chat_id, _FloodBucket(limits.per_chat_rate, burst, burst, now)
            )
            if wait := chat.take(now, limits.slack):
                self._flood(call, "chat", wait)
        if self._flood_global is None:
            burst = limits.global_burst
            self._flood_global = _FloodBucket(limits.global_rate, burst, burst, now)
        if wait := self._flood_global.take(now, limits.slack):
            if chat is not None:
                chat.tokens += 1.0  # refused after all: the chat's token is given back
            self._flood(call, "global", wait)

    def _flood(self, call: RecordedCall, scope: str, wait: float) -> None:
        self.flood_429s[scope] += 1
        seconds = max(1, int(-(-wait // 1)))
        log.info("fake Bot API: 429 (%s limit) for %s, retry after %s", scope, call.method, seconds)
        raise ApiError(
            429, f"Too Many Requests: retry after {seconds}", retry_after=seconds, injected=True
        )
