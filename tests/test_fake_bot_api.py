"""Tests of the fake Telegram Bot API server, driven by a real aiogram Bot (and raw HTTP)."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from aiogram import Bot, Dispatcher
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import TelegramBadRequest, TelegramForbiddenError, TelegramRetryAfter
from aiogram.filters import CommandStart
from aiogram.types import (
    BufferedInputFile,
    CallbackQuery,
    InaccessibleMessage,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    MessageId,
    ReplyParameters,
)
from fakes.bot_api import DEFAULT_TOKEN, MEDIA_KINDS, FakeBotAPI, media_of
from fakes.html_check import (
    check_telegram_html,
    parse_telegram_html,
    visible_text,
)

USER = 424242
STAFF_CHAT = -1001234567890


@pytest.fixture
async def api() -> AsyncIterator[FakeBotAPI]:
    async with FakeBotAPI() as server:
        yield server


@pytest.fixture
async def bot(api: FakeBotAPI) -> AsyncIterator[Bot]:
    session = AiohttpSession(api=TelegramAPIServer.from_base(api.base_url))
    bot = Bot(DEFAULT_TOKEN, session=session)
    yield bot
    await bot.session.close()


def keyboard(*pairs: tuple[str, str]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[[InlineKeyboardButton(text=t, callback_data=d)] for t, d in pairs]
    )


async def raw(
    api: FakeBotAPI, method: str, *, token: str = DEFAULT_TOKEN, http: str = "POST", **kw: Any
) -> tuple[int, dict[str, Any]]:
    async with (
        aiohttp.ClientSession() as session,
        session.request(http, f"{api.base_url}/bot{token}/{method}", **kw) as resp,
    ):
        return resp.status, await resp.json()


# ---- happy paths through aiogram -----------------------------------------------------------


async def test_get_me(api: FakeBotAPI, bot: Bot) -> None:
    me = await bot.get_me()
    assert me.id == 123456789
    assert me.is_bot and me.username == "wegwijs_test_bot" and me.first_name == "Wegwijs Test"
    assert api.errors == []


async def test_send_message_with_inline_keyboard(api: FakeBotAPI, bot: Bot) -> None:
    markup = keyboard(("ትግርኛ", "lang:ti"), ("العربية", "lang:ar"))
    first = await bot.send_message(
        USER, "<b>Hallo</b> &amp; welkom 😀 <i>x</i>", parse_mode="HTML", reply_markup=markup
    )
    second = await bot.send_message(USER, "tweede")

    assert first.text == "Hallo & welkom 😀 x"
    assert [(e.type, e.offset, e.length) for e in first.entities or []] == [
        ("bold", 0, 5),
        ("italic", 18, 1),  # the emoji counts 2 UTF-16 units
    ]
    assert first.reply_markup is not None
    assert first.reply_markup.model_dump() == markup.model_dump()
    assert second.message_id == first.message_id + 1
    call = api.sent[-2]
    assert call.method == "sendMessage" and call.chat_id == USER
    assert call.button_data("العربية") == "lang:ar"
    assert [m.text for m in api.messages_to(USER)] == ["Hallo & welkom 😀 x", "tweede"]
    assert api.errors == []


async def test_text_length_limit_counts_visible_utf16(api: FakeBotAPI, bot: Bot) -> None:
    with pytest.raises(TelegramBadRequest, match="message is too long"):
        await bot.send_message(USER, "x" * 4097)
    with pytest.raises(TelegramBadRequest, match="message is too long"):
        await bot.send_message(USER, "😀" * 2049)  # 4098 UTF-16 units
    await bot.send_message(USER, "x" * 4096)
    await bot.send_message(USER, "<b>" + "x" * 4096 + "</b>", parse_mode="HTML")
    await bot.send_message(USER, "&lt;" * 4096, parse_mode="HTML")  # 4096 visible chars
    with pytest.raises(TelegramBadRequest, match="message text is empty"):
        await bot.send_message(USER, "<b> </b>", parse_mode="HTML")
    assert len(api.errors) == 3


async def test_callback_data_limit_is_64_bytes(api: FakeBotAPI, bot: Bot) -> None:
    with pytest.raises(TelegramBadRequest, match="BUTTON_DATA_INVALID"):
        await bot.send_message(USER, "kies", reply_markup=keyboard(("x", "ሰ" * 22)))  # 66 bytes
    await bot.send_message(USER, "kies", reply_markup=keyboard(("x", "ሰ" * 21)))  # 63 bytes


async def test_empty_button_text_rejected(bot: Bot) -> None:
    with pytest.raises(TelegramBadRequest, match="text is empty"):
        await bot.send_message(USER, "kies", reply_markup=keyboard(("", "a")))


@pytest.mark.parametrize(
    "text", ["<b>x", "a < b", "<div>x</div>", "fish & chips", "<b>x</i>", "<a>x</a>", "&nbsp;"]
)
async def test_malformed_html_rejected(bot: Bot, text: str) -> None:
    with pytest.raises(TelegramBadRequest, match="can't parse entities"):
        await bot.send_message(USER, text, parse_mode="HTML")


async def test_escaped_html_accepted(api: FakeBotAPI, bot: Bot) -> None:
    message = await bot.send_message(USER, "&lt;b&gt;", parse_mode="html")
    assert message.text == "<b>"
    plain = await bot.send_message(USER, "a < b & <div>")  # no parse_mode: anything goes
    assert plain.text == "a < b & <div>"
    assert api.errors == []


async def test_caption_html_and_length_checked(bot: Bot) -> None:
    doc = BufferedInputFile(b"x", filename="a.txt")
    with pytest.raises(TelegramBadRequest, match="can't parse entities"):
        await bot.send_document(USER, doc, caption="<b>x", parse_mode="HTML")
    with pytest.raises(TelegramBadRequest, match="caption is too long"):
        await bot.send_document(USER, doc, caption="x" * 1025)


async def test_send_document_records_file(api: FakeBotAPI, bot: Bot) -> None:
    content = "Brief van de gemeente – ሰላም".encode()
    message = await bot.send_document(
        USER, BufferedInputFile(content, filename="brief.txt"), caption="<i>uitleg</i>",
        parse_mode="HTML",
    )  # fmt: skip
    call = api.sent[-1]
    assert call.method == "sendDocument"
    assert call.files["document"].filename == "brief.txt"
    assert call.files["document"].content == content
    assert message.document is not None and message.document.file_name == "brief.txt"
    assert message.caption == "uitleg"
    # getFile + the file download route serve the same bytes back
    file = await bot.get_file(message.document.file_id)
    assert file.file_path is not None
    downloaded = await bot.download_file(file.file_path)
    assert downloaded is not None and downloaded.read() == content
    assert api.errors == []


async def test_copy_message(api: FakeBotAPI, bot: Bot) -> None:
    update = api.user_message(USER, "Ik heb een brief gekregen")
    copied = await bot.copy_message(STAFF_CHAT, USER, update["message"]["message_id"])
    [call] = api.messages_to(STAFF_CHAT)
    assert call.method == "copyMessage" and call.message is not None
    assert call.message["message_id"] == copied.message_id
    assert call.text == "Ik heb een brief gekregen"
    with pytest.raises(TelegramBadRequest, match="message to copy not found"):
        await bot.copy_message(STAFF_CHAT, USER, 999)


# ---- rejections ----------------------------------------------------------------------------


async def test_missing_required_param_rejected(api: FakeBotAPI) -> None:
    status, body = await raw(api, "sendMessage", json={"text": "hi"})
    assert status == 400
    assert body == {
        "ok": False,
        "error_code": 400,
        "description": 'Bad Request: parameter "chat_id" is required',
    }
    assert [e.error for e in api.errors] == [body["description"]]


async def test_unknown_method_bad_token_and_case_insensitivity(api: FakeBotAPI) -> None:
    status, body = await raw(api, "sendTelepathy", json={})
    assert (status, body["description"]) == (404, "Not Found: method not found")
    status, body = await raw(api, "getMe", token="not-a-token")
    assert (status, body) == (401, {"ok": False, "error_code": 401, "description": "Unauthorized"})
    status, body = await raw(api, "GETME", http="GET")
    assert status == 200 and body["result"]["username"] == "wegwijs_test_bot"


async def test_urlencoded_body_and_unknown_optional_param(api: FakeBotAPI) -> None:
    status, body = await raw(
        api,
        "sendMessage",
        data={
            "chat_id": str(USER),
            "text": "hoi",
            "future_param": "1",
            "disable_notification": "true",
        },
    )
    assert status == 200 and body["result"]["text"] == "hoi"
    assert ("sendMessage", "future_param") in api.unknown_params
    assert api.sent[-1].params["disable_notification"] is True
    assert api.errors == []


async def test_malformed_values_rejected_with_400(api: FakeBotAPI) -> None:
    status, body = await raw(
        api, "sendMessage", data={"chat_id": "1", "text": "x", "reply_markup": "{"}
    )
    assert (status, body["description"]) == (
        400,
        "Bad Request: can't parse reply_markup JSON object",
    )
    status, body = await raw(api, "setMyCommands", json={"commands": ["start"]})
    assert status == 400 and body["ok"] is False  # handler crash -> 400, not a bare 500
    assert len(api.errors) == 2


async def test_edit_unknown_message_rejected(bot: Bot) -> None:
    with pytest.raises(TelegramBadRequest, match="message to edit not found"):
        await bot.edit_message_text(text="nieuw", chat_id=USER, message_id=999)


async def test_edit_message(api: FakeBotAPI, bot: Bot) -> None:
    sent = await bot.send_message(USER, "oud", reply_markup=keyboard(("ok", "ok")))
    with pytest.raises(TelegramBadRequest, match="message is not modified"):
        await bot.edit_message_text(
            text="oud", chat_id=USER, message_id=sent.message_id,
            reply_markup=keyboard(("ok", "ok")),
        )  # fmt: skip
    edited = await bot.edit_message_text(text="nieuw", chat_id=USER, message_id=sent.message_id)
    assert isinstance(edited, Message) and edited.text == "nieuw"
    assert edited.reply_markup is None  # no reply_markup in an edit removes the keyboard
    current = api.message(USER, sent.message_id)
    assert current is not None and current["text"] == "nieuw" and "edit_date" in current
    assert [c.text for c in await api.next_messages(USER, 2)] == ["oud", "nieuw"]
    api.user_message(USER, "hallo")
    with pytest.raises(TelegramBadRequest, match="can't be edited"):
        await bot.edit_message_text(text="x", chat_id=USER, message_id=sent.message_id + 1)


# ---- fault injection -----------------------------------------------------------------------


async def test_429_injection(api: FakeBotAPI, bot: Bot) -> None:
    api.fail_next("sendMessage", USER, status=429, retry_after=1)
    with pytest.raises(TelegramRetryAfter) as info:
        await bot.send_message(USER, "hallo")
    assert info.value.retry_after == 1
    await bot.send_message(USER, "hallo")  # only the next call fails
    await bot.send_message(USER + 1, "hallo")
    assert api.errors == []  # injected faults are not validation errors
    assert [r.status for r in api.requests] == [429, 200, 200]


async def test_block_and_unblock(api: FakeBotAPI, bot: Bot) -> None:
    api.block(USER)
    with pytest.raises(TelegramForbiddenError, match="bot was blocked by the user"):
        await bot.send_message(USER, "hallo")
    api.unblock(USER)
    await bot.send_message(USER, "hallo")
    update = api.my_chat_member(USER, "kicked")  # user blocks the bot: update + block
    assert update["my_chat_member"]["new_chat_member"]["status"] == "kicked"
    with pytest.raises(TelegramForbiddenError):
        await bot.send_chat_action(USER, "typing")


# ---- updates -------------------------------------------------------------------------------


async def test_get_updates_long_poll_wakes_on_enqueue(api: FakeBotAPI, bot: Bot) -> None:
    loop = asyncio.get_running_loop()
    started = loop.time()
    poll = asyncio.create_task(bot.get_updates(timeout=5))
    await asyncio.sleep(0.1)
    api.user_message(USER, "/start deep", language_code="ti", first_name="Aster")
    updates = await asyncio.wait_for(poll, 3)
    assert loop.time() - started < 2
    [update] = updates
    assert update.message is not None and update.message.text == "/start deep"
    assert update.message.from_user is not None
    assert update.message.from_user.language_code == "ti"
    assert [(e.type, e.length) for e in update.message.entities or []] == [("bot_command", 6)]
    # not confirmed yet -> delivered again; offset confirms
    assert [u.update_id for u in await bot.get_updates(timeout=0)] == [update.update_id]
    assert await bot.get_updates(offset=update.update_id + 1, timeout=0) == []
    started = loop.time()
    assert await bot.get_updates(timeout=1) == []
    assert loop.time() - started >= 0.9


async def test_press_button_and_answer_callback(api: FakeBotAPI, bot: Bot) -> None:
    sent = await bot.send_message(USER, "Taal?", reply_markup=keyboard(("ትግርኛ", "lang:ti")))
    with pytest.raises(AssertionError):
        api.press_button(USER, sent.message_id, "lang:xx")  # no such button
    api.press_button(USER, sent.message_id, "lang:ti")
    [update] = await bot.get_updates(timeout=1)
    query = update.callback_query
    assert query is not None and query.data == "lang:ti"
    assert isinstance(query.message, Message) and query.message.message_id == sent.message_id
    assert await bot.answer_callback_query(query.id, text="ok")
    with pytest.raises(TelegramBadRequest, match="query is too old"):
        await bot.answer_callback_query(query.id)  # already answered
    with pytest.raises(TelegramBadRequest, match="query is too old"):
        await bot.answer_callback_query("12345")
    api.press_raw_callback(USER, "forged", message_id=999)
    [update] = await bot.get_updates(offset=update.update_id + 1, timeout=1)
    assert update.callback_query is not None and update.callback_query.data == "forged"
    assert isinstance(update.callback_query.message, InaccessibleMessage)


async def test_user_sticker_photo_and_commands(api: FakeBotAPI, bot: Bot) -> None:
    api.user_sticker(USER)
    api.user_photo(USER, caption="brief")
    sticker_update, photo_update = await bot.get_updates(timeout=1)
    assert sticker_update.message is not None and sticker_update.message.sticker is not None
    assert photo_update.message is not None and photo_update.message.photo
    assert photo_update.message.message_id == sticker_update.message.message_id + 1

    from aiogram.types import BotCommand

    await bot.set_my_commands([BotCommand(command="start", description="ጀምር")], language_code="ti")
    await bot.set_my_commands([BotCommand(command="start", description="Start")])
    assert [c.description for c in await bot.get_my_commands(language_code="ti")] == ["ጀምር"]
    assert api.commands_for("") == [{"command": "start", "description": "Start"}]
    with pytest.raises(TelegramBadRequest, match="BOT_COMMAND_INVALID"):
        await bot.set_my_commands([BotCommand(command="Start!", description="x")])
    await bot.set_my_description("Hulp bij brieven", language_code="nl")
    await bot.set_my_short_description("Wegwijs")
    assert api.descriptions == {"nl": "Hulp bij brieven"}
    assert (await bot.get_my_short_description()).short_description == "Wegwijs"


async def test_next_messages_cursor(api: FakeBotAPI, bot: Bot) -> None:
    await bot.send_message(USER, "een")
    await bot.send_message(USER + 1, "ander")
    await bot.send_message(USER, "twee")
    assert [c.text for c in await api.next_messages(USER, 2)] == ["een", "twee"]
    with pytest.raises(AssertionError, match="expected 1 new message"):
        await api.next_messages(USER, timeout=0.2)
    waiter = asyncio.create_task(api.next_messages(USER))
    await asyncio.sleep(0.05)
    await bot.send_message(USER, "drie")
    assert [c.text for c in await waiter] == ["drie"]
    found = await api.wait_for(lambda c: c.chat_id == USER + 1)
    assert found.text == "ander"


async def test_dispatcher_polling_end_to_end(api: FakeBotAPI) -> None:
    """A real Dispatcher polls the fake, answers /start and a button press."""
    dp = Dispatcher()

    @dp.message(CommandStart())
    async def start(message: Message) -> None:
        await message.answer("<b>Welkom</b>", reply_markup=keyboard(("NL", "lang:nl")))

    @dp.callback_query()
    async def pressed(query: CallbackQuery) -> None:
        await query.answer()
        assert isinstance(query.message, Message)
        await query.message.edit_text(f"Taal: {query.data}")

    session = AiohttpSession(api=TelegramAPIServer.from_base(api.base_url))
    bot = Bot(DEFAULT_TOKEN, session=session, default=DefaultBotProperties(parse_mode="HTML"))
    polling = asyncio.create_task(dp.start_polling(bot, handle_signals=False, polling_timeout=1))
    try:
        api.user_message(USER, "/start")
        [welcome] = await api.next_messages(USER)
        assert welcome.text == "Welkom" and welcome.message is not None
        api.press_button(USER, welcome.message["message_id"], "lang:nl")
        [edited] = await api.next_messages(USER)
        assert (edited.method, edited.text) == ("editMessageText", "Taal: lang:nl")
        await api.wait_for(lambda c: c.method == "answerCallbackQuery")
        api.my_chat_member(USER, "kicked")  # no handler -> dropped by allowed_updates
        for _ in range(60):
            if api.filtered_updates:
                break
            await asyncio.sleep(0.05)
        assert [list(u)[1] for u in api.filtered_updates] == ["my_chat_member"]
    finally:
        await dp.stop_polling()
        await polling
        await bot.session.close()
    assert api.errors == []


# ---- html_check unit tests -----------------------------------------------------------------


def test_html_check_rules() -> None:
    ok = [
        "plain",
        "<b>b</b><strong>s</strong><i>i</i><em>e</em><u>u</u><ins>i</ins><s>s</s><strike>s</strike>",
        '<span class="tg-spoiler">x</span><tg-spoiler>y</tg-spoiler><del>d</del>',
        '<a href="https://example.org/?a=1&b=2">link</a>',
        '<tg-emoji emoji-id="5368324170671202286">👍</tg-emoji>',
        '<pre><code class="language-python">print("x")</code></pre> <code>c</code>',
        "<blockquote expandable>q</blockquote> <B>upper</B> a > b &#39; &#x1F600; &quot;",
        "<b>bold <i>both</i></b>",
    ]
    for text in ok:
        assert check_telegram_html(text) is None, text
    bad = {
        "<b>x": "Can't find end tag",
        "a < b": "Unsupported start tag",
        "<div>x</div>": 'Unsupported start tag "div"',
        "<br/>": "Unsupported start tag",
        "x</b>": "Unexpected end tag",
        "<b><i>x</b></i>": "Unmatched end tag",
        "<span>x</span>": "tg-spoiler",
        "<a>x</a>": "href",
        "R&D": '"&" at byte offset 1',
        "&nbsp;": "Unsupported HTML entity",
        "&#xD800;": "Invalid character reference",
        "<b x='1'": "Unclosed start tag",
    }
    for text, error in bad.items():
        result = check_telegram_html(text)
        assert result is not None and error in result, (text, result)


def test_html_entities_and_visible_text() -> None:
    parsed = parse_telegram_html(
        '😀<b>ሰ</b><pre><code class="language-py">x</code></pre>'
        "<blockquote expandable>q</blockquote>"
    )
    assert parsed.text == "😀ሰxq"
    assert parsed.entities == [
        {"type": "bold", "offset": 2, "length": 1},
        {"type": "pre", "offset": 3, "length": 1, "language": "py"},
        {"type": "expandable_blockquote", "offset": 4, "length": 1},
    ]
    assert visible_text("<b>a &lt; b</b> &amp;") == "a < b &"
    assert visible_text("<b>broken") == "broken"


# ---- media, copies and replies (issue 8) ---------------------------------------------------

NEWCOMER, HELPER = 515151, 626262  # two private chats the bot relays between
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF uploaded by the bot"


def largest_file_id(message: Message) -> str:
    """file_id of the media of an aiogram Message (largest photo size)."""
    kinds = [message.photo[-1] if message.photo else None, message.voice, message.document,
             message.sticker, message.video]  # fmt: skip
    media = next(m for m in kinds if m is not None)
    return media.file_id


@pytest.mark.parametrize("kind", MEDIA_KINDS)
async def test_user_sends_media_with_real_looking_file_ids(
    api: FakeBotAPI, bot: Bot, kind: str
) -> None:
    caption = None if kind == "sticker" else "brief van de gemeente"
    update = api.user_media(NEWCOMER, kind, caption=caption, language_code="ti")
    [received] = await bot.get_updates(timeout=1)
    message = received.message
    assert message is not None and message.from_user is not None
    assert message.from_user.language_code == "ti" and message.chat.type == "private"
    assert message.caption == caption
    kind_of_message, file_id = media_of(update["message"]) or ("", "")
    assert kind_of_message == kind and largest_file_id(message) == file_id
    assert re.fullmatch(r"[A-Za-z0-9_-]{60,}", file_id)
    objects = message.photo or [getattr(message, kind)]
    assert len({o.file_id for o in objects}) == len(objects)  # each photo size has its own id
    for o in objects:
        assert re.fullmatch(r"(AQAD|AgAD)[A-Za-z0-9_-]{8,}", o.file_unique_id)
        assert o.file_unique_id != o.file_id
    if kind == "photo":
        widths = [p.width for p in message.photo or []]
        assert widths == sorted(widths)
    if kind == "voice":
        assert message.voice is not None and message.voice.mime_type == "audio/ogg"
        assert message.voice.duration > 0
    if kind == "document":
        assert message.document is not None
        assert (message.document.file_name, message.document.mime_type) == (
            "brief.pdf", "application/pdf",
        )  # fmt: skip
    # the bot can fetch what the user sent
    file = await bot.get_file(file_id)
    assert file.file_unique_id == objects[-1].file_unique_id and file.file_path
    downloaded = await bot.download_file(file.file_path)
    assert downloaded is not None and downloaded.read() == api.file_content(file_id)
    assert api.errors == []


async def test_user_media_options(api: FakeBotAPI, bot: Bot) -> None:
    api.user_document(NEWCOMER, "belastingdienst.jpg", content=b"scan", caption="aanslag")
    api.user_voice(NEWCOMER, duration=17)
    api.user_video(NEWCOMER, caption="zo ziet het eruit")
    api.user_sticker(NEWCOMER, "🙏")
    document, voice, video, sticker = [u.message for u in await bot.get_updates(timeout=1)]
    assert document is not None and document.document is not None
    assert (document.document.file_name, document.document.mime_type) == (
        "belastingdienst.jpg", "image/jpeg",
    )  # fmt: skip
    assert api.file_content(document.document.file_id) == b"scan"
    assert voice is not None and voice.voice is not None and voice.voice.duration == 17
    assert video is not None and video.video is not None and video.caption == "zo ziet het eruit"
    assert sticker is not None and sticker.sticker is not None and sticker.sticker.emoji == "🙏"
    with pytest.raises(ValueError, match="no caption"):
        api.user_media(NEWCOMER, "sticker", caption="x")
    with pytest.raises(ValueError, match="kind must be one of"):
        api.user_media(NEWCOMER, "hologram")


async def test_user_replies_to_an_earlier_message(api: FakeBotAPI, bot: Bot) -> None:
    question = await bot.send_message(NEWCOMER, "Wat staat er in de brief?")
    first = api.user_message(NEWCOMER, "Een aanslag", reply_to=question.message_id)
    api.user_photo(NEWCOMER, "deze", reply_to=first["message"]["message_id"])
    text_update, photo_update = await bot.get_updates(timeout=1)
    text = text_update.message
    assert text is not None and text.reply_to_message is not None
    assert text.reply_to_message.message_id == question.message_id
    assert text.reply_to_message.text == "Wat staat er in de brief?"
    photo = photo_update.message
    assert photo is not None and photo.reply_to_message is not None
    assert photo.reply_to_message.message_id == text.message_id
    assert photo.reply_to_message.reply_to_message is None  # Telegram does not nest replies
    assert [m["message_id"] for m in api.chat_log(NEWCOMER)] == [
        question.message_id, text.message_id, photo.message_id,
    ]  # fmt: skip
    with pytest.raises(AssertionError, match="no message 99"):
        api.user_message(NEWCOMER, "x", reply_to=99)


async def test_relay_photo_copy_with_reply_to_an_earlier_message(api: FakeBotAPI, bot: Bot) -> None:
    header = await bot.send_message(HELPER, "Newcomer A7F3 · ti · Utrecht")
    update = api.user_photo(NEWCOMER, "mijn brief", language_code="ti")
    original = update["message"]
    copied = await bot.copy_message(
        HELPER, NEWCOMER, original["message_id"],
        caption="<b>A7F3</b>: mijn brief", parse_mode="HTML",
        reply_parameters=ReplyParameters(message_id=header.message_id),
        reply_markup=keyboard(("Claim", "claim:1")),
    )  # fmt: skip
    assert isinstance(copied, MessageId) and copied.message_id == header.message_id + 1
    [call] = api.messages_to(HELPER, methods={"copyMessage"})
    assert call.media == media_of(original) and call.media is not None
    assert call.media[0] == "photo"
    assert (call.message_id, call.reply_to, call.text) == (
        copied.message_id, header.message_id, "A7F3: mijn brief",
    )  # fmt: skip
    assert call.button_data("Claim") == "claim:1"
    log = api.chat_log(HELPER)
    assert [m["message_id"] for m in log] == [header.message_id, copied.message_id]
    copy = log[-1]
    assert copy["photo"] == original["photo"]  # same sizes, same file_ids
    assert copy["from"]["id"] == bot.id and copy["chat"]["id"] == HELPER
    assert copy["caption_entities"] == [{"type": "bold", "offset": 0, "length": 4}]
    assert copy["reply_to_message"]["message_id"] == header.message_id
    assert copy["reply_markup"]["inline_keyboard"][0][0]["callback_data"] == "claim:1"
    assert api.message(NEWCOMER, original["message_id"]) == original  # source untouched
    assert api.errors == []


@pytest.mark.parametrize("kind", MEDIA_KINDS)
async def test_each_media_kind_relayed_both_ways_with_reply_links(
    api: FakeBotAPI, bot: Bot, kind: str
) -> None:
    """Newcomer -> helper and back, as the handoff relay will do it with copyMessage."""
    caption = None if kind == "sticker" else "vraag"
    asked = api.user_media(NEWCOMER, kind, caption=caption)["message"]
    to_helper = await bot.copy_message(HELPER, NEWCOMER, asked["message_id"])
    # the helper answers with the same kind, replying to the copy in their own chat
    answer = api.user_media(HELPER, kind, reply_to=to_helper.message_id)["message"]
    assert answer["reply_to_message"]["message_id"] == to_helper.message_id
    assert media_of(answer["reply_to_message"]) == media_of(asked)
    back = await bot.copy_message(
        NEWCOMER, HELPER, answer["message_id"],
        reply_parameters=ReplyParameters(message_id=asked["message_id"]),
    )  # fmt: skip
    [out] = api.messages_to(HELPER)
    [back_call] = api.messages_to(NEWCOMER)
    assert (out.media, out.message_id, out.reply_to) == (
        media_of(asked), to_helper.message_id, None,
    )  # fmt: skip
    assert (back_call.media, back_call.message_id, back_call.reply_to) == (
        media_of(answer), back.message_id, asked["message_id"],
    )  # fmt: skip
    assert media_of(answer) != media_of(asked)  # a new file, new file_id
    assert out.text == caption
    # the newcomer's client sees it the same way (through getUpdates of a reply to it)
    api.user_message(NEWCOMER, "dank je", reply_to=back.message_id)
    updates = await bot.get_updates(timeout=1)
    last = updates[-1].message
    assert last is not None and last.reply_to_message is not None
    assert media_of(answer) == (kind, largest_file_id(last.reply_to_message))
    assert api.errors == []


async def test_copy_message_caption_rules(api: FakeBotAPI, bot: Bot) -> None:
    doc = api.user_document(NEWCOMER, caption="origineel")["message"]
    text = api.user_message(NEWCOMER, "<b>geen html</b>")["message"]
    kept = await bot.copy_message(HELPER, NEWCOMER, doc["message_id"])
    _, body = await raw(  # aiogram leaves an empty caption out; Telegram removes the caption
        api, "copyMessage",
        json={"chat_id": HELPER, "from_chat_id": NEWCOMER, "message_id": doc["message_id"],
              "caption": ""},
    )  # fmt: skip
    removed = body["result"]["message_id"]
    ignored = await bot.copy_message(HELPER, NEWCOMER, text["message_id"], caption="x")
    log = {m["message_id"]: m for m in api.chat_log(HELPER)}
    assert log[kept.message_id]["caption"] == "origineel"
    assert "caption" not in log[removed]
    assert log[removed]["document"] == doc["document"]
    assert log[ignored.message_id]["text"] == "<b>geen html</b>"  # caption ignored for text
    assert "caption" not in log[ignored.message_id]
    with pytest.raises(TelegramBadRequest, match="can't parse entities"):
        await bot.copy_message(
            HELPER, NEWCOMER, doc["message_id"], caption="<b>open", parse_mode="HTML"
        )
    with pytest.raises(TelegramBadRequest, match="caption is too long"):
        await bot.copy_message(HELPER, NEWCOMER, doc["message_id"], caption="x" * 1025)
    assert len(api.errors) == 2


async def test_copy_message_errors(api: FakeBotAPI, bot: Bot) -> None:
    photo = api.user_photo(NEWCOMER)["message"]
    with pytest.raises(TelegramBadRequest, match="message to copy not found"):
        await bot.copy_message(HELPER, NEWCOMER, 999)
    with pytest.raises(TelegramBadRequest, match="message to copy not found"):
        await bot.copy_message(HELPER, HELPER + 1, photo["message_id"])  # wrong source chat
    with pytest.raises(TelegramBadRequest, match="message to be replied not found"):
        await bot.copy_message(
            HELPER, NEWCOMER, photo["message_id"],
            reply_parameters=ReplyParameters(message_id=999),
        )  # fmt: skip
    assert api.chat_log(HELPER) == []  # nothing was delivered by the failed calls
    loose = await bot.copy_message(
        HELPER, NEWCOMER, photo["message_id"],
        reply_parameters=ReplyParameters(message_id=999, allow_sending_without_reply=True),
    )  # fmt: skip
    assert api.messages_to(HELPER)[-1].reply_to is None and loose.message_id == 1
    api.block(HELPER)
    with pytest.raises(TelegramForbiddenError, match="bot was blocked by the user"):
        await bot.copy_message(HELPER, NEWCOMER, photo["message_id"])
    api.unblock(HELPER)
    api.fail_next("copyMessage", HELPER, status=429, retry_after=3)
    with pytest.raises(TelegramRetryAfter) as info:
        await bot.copy_message(HELPER, NEWCOMER, photo["message_id"])
    assert info.value.retry_after == 3
    await bot.copy_message(HELPER, NEWCOMER, photo["message_id"])
    assert [e.error for e in api.errors] == [
        "Bad Request: message to copy not found",
        "Bad Request: message to copy not found",
        "Bad Request: message to be replied not found",
    ]


@pytest.mark.parametrize(
    ("kind", "upload", "send"),
    [
        ("photo", BufferedInputFile(JPEG, "brief.jpg"), Bot.send_photo),
        ("voice", BufferedInputFile(b"OggS voice", "antwoord.ogg"), Bot.send_voice),
        ("document", BufferedInputFile(b"%PDF-1.7", "uitleg.pdf"), Bot.send_document),
        ("sticker", BufferedInputFile(b"RIFF\0\0\0\0WEBPVP8", "ok.webp"), Bot.send_sticker),
        ("video", BufferedInputFile(b"\0\0\0\x18ftypmp42", "uitleg.mp4"), Bot.send_video),
    ],
)
async def test_send_media_upload_then_resend_by_file_id(
    api: FakeBotAPI, bot: Bot, kind: str, upload: BufferedInputFile, send: Any
) -> None:
    asked = api.user_message(NEWCOMER, "Kun je het sturen?")["message"]
    caption = {} if kind == "sticker" else {"caption": "<i>hier</i>", "parse_mode": "HTML"}
    reply = ReplyParameters(message_id=asked["message_id"])
    first = await send(bot, NEWCOMER, upload, reply_parameters=reply, **caption)
    file_id = largest_file_id(first)
    call = api.messages_to(NEWCOMER)[-1]
    assert call.files[kind].content == api.file_content(file_id)  # the uploaded bytes
    assert call.media == (kind, file_id) and call.reply_to == asked["message_id"]
    assert first.reply_to_message is not None
    assert first.reply_to_message.message_id == asked["message_id"]
    if caption:
        assert first.caption == "hier" and first.caption_entities is not None
    again = await send(bot, HELPER, file_id)  # by file_id: the same file, no new upload
    assert largest_file_id(again) == file_id and api.messages_to(HELPER)[-1].files == {}
    url = await send(bot, HELPER, f"https://example.org/files/x/{upload.filename}")
    assert largest_file_id(url) not in (file_id, "")  # Telegram fetched it: a new file
    file = await bot.get_file(file_id)
    assert file.file_path is not None
    downloaded = await bot.download_file(file.file_path)
    assert downloaded is not None and downloaded.read() == api.file_content(file_id)
    assert api.errors == []


async def test_send_media_rejections(api: FakeBotAPI, bot: Bot) -> None:
    voice = await bot.send_voice(NEWCOMER, BufferedInputFile(b"OggS", "a.ogg"))
    assert voice.voice is not None
    with pytest.raises(TelegramBadRequest, match="type of file mismatch"):
        await bot.send_photo(NEWCOMER, voice.voice.file_id)
    with pytest.raises(TelegramBadRequest, match="wrong file identifier"):
        await bot.send_document(NEWCOMER, "AgACAgQAAxkBAAnotafileidatall")
    with pytest.raises(TelegramBadRequest, match="IMAGE_PROCESS_FAILED"):
        await bot.send_photo(NEWCOMER, BufferedInputFile(b"not an image", "brief.jpg"))
    with pytest.raises(TelegramBadRequest, match="can't parse entities"):
        await bot.send_photo(
            NEWCOMER, BufferedInputFile(JPEG, "a.jpg"), caption="a < b", parse_mode="HTML"
        )
    with pytest.raises(TelegramBadRequest, match="caption is too long"):
        await bot.send_voice(NEWCOMER, voice.voice.file_id, caption="x" * 1025)
    with pytest.raises(TelegramBadRequest, match="message to be replied not found"):
        await bot.send_sticker(
            NEWCOMER, BufferedInputFile(b"RIFF\0\0\0\0WEBP", "s.webp"),
            reply_parameters=ReplyParameters(message_id=999),
        )  # fmt: skip
    with pytest.raises(TelegramBadRequest, match="file is too big"):
        big = await bot.send_document(NEWCOMER, BufferedInputFile(b"x" * (21 << 20), "big.bin"))
        assert big.document is not None
        await bot.get_file(big.document.file_id)  # > 20 MB: cannot be downloaded by bots
    api.block(NEWCOMER)
    for call in (
        bot.send_photo(NEWCOMER, BufferedInputFile(JPEG, "a.jpg")),
        bot.send_voice(NEWCOMER, voice.voice.file_id),
        bot.send_document(NEWCOMER, BufferedInputFile(b"x", "a.txt")),
    ):
        with pytest.raises(TelegramForbiddenError, match="bot was blocked by the user"):
            await call
    assert len(api.errors) == 7


async def test_missing_media_and_bad_reply_parameters_rejected(api: FakeBotAPI) -> None:
    status, body = await raw(api, "sendPhoto", json={"chat_id": NEWCOMER})
    assert (status, body["description"]) == (400, 'Bad Request: parameter "photo" is required')
    status, body = await raw(api, "copyMessage", json={"chat_id": HELPER, "message_id": 1})
    assert body["description"] == 'Bad Request: parameter "from_chat_id" is required'
    api.user_message(NEWCOMER, "hoi")
    status, body = await raw(
        api, "copyMessage",
        json={"chat_id": HELPER, "from_chat_id": NEWCOMER, "message_id": 1,
              "reply_parameters": {"allow_sending_without_reply": True}},
    )  # fmt: skip
    assert (status, body["description"]) == (
        400, 'Bad Request: field "message_id" of reply_parameters is required',
    )  # fmt: skip
    assert len(api.errors) == 3


async def test_raw_multipart_upload_named_like_the_field(api: FakeBotAPI) -> None:
    form = aiohttp.FormData()
    form.add_field("chat_id", str(HELPER))
    form.add_field("caption", "scan")
    form.add_field("photo", JPEG, filename="scan.jpg", content_type="image/jpeg")
    status, body = await raw(api, "sendPhoto", data=form)
    assert status == 200, body
    sizes = body["result"]["photo"]
    assert body["result"]["caption"] == "scan" and len(sizes) >= 2
    assert api.file_content(sizes[-1]["file_id"]) == JPEG


async def test_legacy_reply_to_message_id_and_external_reply(api: FakeBotAPI, bot: Bot) -> None:
    asked = api.user_voice(NEWCOMER)["message"]
    legacy = await bot.send_message(NEWCOMER, "Ontvangen", reply_to_message_id=asked["message_id"])
    assert legacy.reply_to_message is not None
    assert legacy.reply_to_message.message_id == asked["message_id"]
    quoted = await bot.send_message(
        HELPER, "Zie het bericht",
        reply_parameters=ReplyParameters(message_id=asked["message_id"], chat_id=NEWCOMER),
    )  # fmt: skip
    assert quoted.reply_to_message is None and quoted.external_reply is not None
    assert quoted.external_reply.message_id == asked["message_id"]
    assert quoted.external_reply.voice is not None
    assert quoted.external_reply.voice.file_id == asked["voice"]["file_id"]
    assert api.errors == []


async def test_dispatcher_relays_media_with_copy_to(api: FakeBotAPI) -> None:
    """A real Dispatcher relays whatever the newcomer sends to the helper, replies kept."""
    dp = Dispatcher()
    relayed: dict[int, int] = {}  # newcomer message id -> helper message id

    @dp.message()
    async def relay(message: Message) -> None:
        reply = message.reply_to_message
        target = relayed.get(reply.message_id) if reply is not None else None
        copied = await message.copy_to(
            HELPER,
            reply_parameters=ReplyParameters(message_id=target) if target else None,
        )
        relayed[message.message_id] = copied.message_id

    session = AiohttpSession(api=TelegramAPIServer.from_base(api.base_url))
    bot = Bot(DEFAULT_TOKEN, session=session, default=DefaultBotProperties(parse_mode="HTML"))
    polling = asyncio.create_task(dp.start_polling(bot, handle_signals=False, polling_timeout=1))
    try:
        photo = api.user_photo(NEWCOMER, "a < b")["message"]  # a plain caption, not HTML
        [first] = await api.next_messages(HELPER)
        api.user_voice(NEWCOMER, reply_to=photo["message_id"])
        [second] = await api.next_messages(HELPER)
    finally:
        await dp.stop_polling()
        await polling
        await bot.session.close()
    assert first.media == media_of(photo) and first.text == "a < b"
    assert second.media is not None and second.media[0] == "voice"
    assert second.reply_to == first.message_id
    assert api.errors == []
