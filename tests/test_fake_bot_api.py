"""Tests of the fake Telegram Bot API server, driven by a real aiogram Bot (and raw HTTP)."""

from __future__ import annotations

import asyncio
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
)
from fakes.bot_api import DEFAULT_TOKEN, FakeBotAPI
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
