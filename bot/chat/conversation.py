"""The conversation: what a picture, a chosen preset or a clip means, decided from one stored
record (bot.models.Conversation: what waits, and since when).

STATES below is the table python-telegram-bot's ConversationHandler would hold: for each state,
what each step does. The state lives in the store rather than in memory, so a restart forgets
nothing, the job that takes what waited ends the wait in the same transaction that queues it,
and /cancel clears it with one call (Store.clear_conversation). The handlers (photos.py,
animations.py, presets.py) only check what arrived, then call on_picture, on_clip or on_preset.
Three changes of state come from outside the table, each a button or an album that says at once
what the next picture is: mixing.py's [Another painting] and [Mix with…] make the next picture
a painting for the photo shown, and photos.py's album_ready keeps an album's photo waiting while
its painting is queued.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

from telegram.ext import ContextTypes

from bot.chat import keyboards
from bot.chat.common import Who, say, submit, svc
from bot.chat.requests import submit_clip, submit_mix, submit_preset
from bot.models import Conversation, FileRef, Mix, Waiting
from bot.presets import Preset
from bot.texts import t

Arrived = TypeVar("Arrived", FileRef, Preset)
Step = Callable[[ContextTypes.DEFAULT_TYPE, Who, Conversation, Arrived], Awaitable[None]]


async def _wait(context: ContextTypes.DEFAULT_TYPE, who: Who, conversation: Conversation) -> None:
    await svc(context).store.set_conversation(who.user_id, who.chat_id, conversation)


# What a picture does (a photo, or an image sent as a file).


async def keep_photo(
    context: ContextTypes.DEFAULT_TYPE, who: Who, now: Conversation, picture: FileRef
) -> None:
    """The picture is the photo to paint: it waits for its painting."""
    await _wait(context, who, Conversation(Waiting.PHOTO, content=picture))
    await say(context, who, "got_content", keyboards.presets_button(who.language))


async def painting_for_photo(
    context: ContextTypes.DEFAULT_TYPE, who: Who, now: Conversation, picture: FileRef
) -> None:
    """The picture is the waiting photo's painting (the same photo again is said so)."""
    assert now.content is not None
    if now.content.file_unique_id == picture.file_unique_id:
        await say(context, who, "same_photo", keyboards.presets_button(who.language))
        return
    await submit(context, who, now.content, style=picture)


async def photo_for_preset(
    context: ContextTypes.DEFAULT_TYPE, who: Who, now: Conversation, picture: FileRef
) -> None:
    """The picture is the photo for the chosen preset; if refused, the photo waits instead, so
    picking the painting again is all it takes later."""
    assert now.preset_id is not None
    preset = svc(context).presets.get(now.preset_id)
    if preset is None:  # the manifest changed since it was chosen
        await keep_photo(context, who, now, picture)
    elif not await submit_preset(context, who, picture, preset):
        await _wait(context, who, Conversation(Waiting.PHOTO, content=picture))


async def painting_for_mix(
    context: ContextTypes.DEFAULT_TYPE, who: Who, now: Conversation, picture: FileRef
) -> None:
    """The picture is the second painting for the waiting result."""
    assert now.mix_base is not None
    await submit_mix(context, who, now.mix_base, Mix(style=picture))


async def painting_for_clip(
    context: ContextTypes.DEFAULT_TYPE, who: Who, now: Conversation, picture: FileRef
) -> None:
    """The picture is the waiting clip's painting."""
    assert now.content is not None
    await submit_clip(context, who, now.content, style=picture)


# What a chosen preset does (a button, /style NAME, or its name typed).


async def choose_preset(
    context: ContextTypes.DEFAULT_TYPE, who: Who, now: Conversation, preset: Preset
) -> None:
    """The preset waits for the photo to paint (a tip if it looks best at another strength)."""
    await _wait(context, who, Conversation(Waiting.PRESET, preset_id=preset.id))
    text = t(who.language, "preset_chosen", title=preset.title_in(who.language))
    if preset.strength is not who.settings.strength:
        strength = t(who.language, f"strength_{preset.strength}")
        text += "\n" + t(who.language, "preset_tip", strength=strength)
    await context.bot.send_message(who.chat_id, text)


async def preset_for_photo(
    context: ContextTypes.DEFAULT_TYPE, who: Who, now: Conversation, preset: Preset
) -> None:
    assert now.content is not None
    await submit_preset(context, who, now.content, preset)


async def preset_for_mix(
    context: ContextTypes.DEFAULT_TYPE, who: Who, now: Conversation, preset: Preset
) -> None:
    assert now.mix_base is not None
    await submit_mix(context, who, now.mix_base, Mix(preset_id=preset.id))


async def preset_for_clip(
    context: ContextTypes.DEFAULT_TYPE, who: Who, now: Conversation, preset: Preset
) -> None:
    assert now.content is not None
    await submit_clip(context, who, now.content, preset_id=preset.id)


# What a clip does (an animation, a video, a video note, or a clip sent as a file).


async def keep_clip(
    context: ContextTypes.DEFAULT_TYPE, who: Who, now: Conversation, clip: FileRef
) -> None:
    """The clip waits for its painting (a waiting photo, preset or mix gives way to it)."""
    await _wait(context, who, Conversation(Waiting.CLIP, content=clip))
    await say(context, who, "got_animation", keyboards.presets_only_button(who.language))


async def clip_for_preset(
    context: ContextTypes.DEFAULT_TYPE, who: Who, now: Conversation, clip: FileRef
) -> None:
    assert now.preset_id is not None
    await submit_clip(context, who, clip, preset_id=now.preset_id)


@dataclass(frozen=True)
class Steps:
    """What each thing that may arrive does in one state."""

    picture: Step[FileRef]
    preset: Step[Preset]
    clip: Step[FileRef]


STATES: dict[Waiting, Steps] = {
    #                      a picture comes     a preset is chosen  a clip comes
    Waiting.NOTHING: Steps(keep_photo,         choose_preset,      keep_clip),
    Waiting.PHOTO:   Steps(painting_for_photo, preset_for_photo,   keep_clip),
    Waiting.PRESET:  Steps(photo_for_preset,   choose_preset,      clip_for_preset),
    Waiting.MIX:     Steps(painting_for_mix,   preset_for_mix,     keep_clip),
    Waiting.CLIP:    Steps(painting_for_clip,  preset_for_clip,    keep_clip),
}  # fmt: skip


async def _now(
    context: ContextTypes.DEFAULT_TYPE, who: Who, caption: Preset | None
) -> Conversation:
    """Where the conversation stands; a caption naming a preset chooses it with the picture."""
    if caption is not None:
        return Conversation(Waiting.PRESET, preset_id=caption.id)
    return await svc(context).store.conversation(who.user_id, who.chat_id)


async def on_picture(
    context: ContextTypes.DEFAULT_TYPE, who: Who, picture: FileRef, caption: Preset | None = None
) -> None:
    """A checked picture arrived (with the preset its caption names, if any)."""
    now = await _now(context, who, caption)
    await STATES[now.waiting].picture(context, who, now, picture)


async def on_clip(
    context: ContextTypes.DEFAULT_TYPE, who: Who, clip: FileRef, caption: Preset | None = None
) -> None:
    """A checked clip arrived (with the preset its caption names, if any)."""
    now = await _now(context, who, caption)
    await STATES[now.waiting].clip(context, who, now, clip)


async def on_preset(context: ContextTypes.DEFAULT_TYPE, who: Who, preset: Preset) -> None:
    """A preset was chosen."""
    now = await svc(context).store.conversation(who.user_id, who.chat_id)
    await STATES[now.waiting].preset(context, who, now, preset)
