"""Every text a user sees, in every supported language: one catalog, so wording lives in one place.

Keys are grouped by who sends them (job_* by the job side, the rest by handlers). Placeholders use
str.format names; a test checks that every language has every key with the same placeholders.
"""

from __future__ import annotations

LANGUAGES = ("en", "ru")
DEFAULT_LANGUAGE = "en"

CATALOG: dict[str, dict[str, str]] = {
    "en": {
        # Buttons on the status message and the result.
        "button_cancel": "Cancel",
        "button_stronger": "Stronger",
        "button_softer": "Softer",
        "button_keep_colors": "Keep colours",
        "button_another_style": "Another style",
        # The job side: a job's status message, its preview and its result.
        "job_queued": "🕐 In the queue: number {position}. Ready in about {wait}.",
        "job_queued_offline": (
            "🕐 In the queue: number {position}. The painter is offline right now; your picture"
            " will be painted as soon as it is back."
        ),
        "job_starting": "🎨 Starting…",
        "job_progress": "🎨 Painting… {percent}%\n{bar}\nAbout {left} left.",
        "job_print_paused": (
            "⏸ Paused at {percent}%\n{bar}\nQuicker pictures go first; then your print goes on."
        ),
        "job_preview_caption": "⚡ A quick preview. The full painting is on its way.",
        "job_done": "✅ Done in {duration}.",
        "job_caption": "🖼 {style}\n{quality} · {strength}{colors} · {duration}",
        "job_caption_colors": " · photo's colours",
        "job_your_painting": "Your painting",
        "job_cancelled": "🛑 Cancelled.",
        "job_paused": (
            "⏸ I'm restarting. Your picture keeps its place in the queue and continues soon."
        ),
        "job_failed": (
            "😕 Sorry, I couldn't paint this picture after {attempts} tries."
            " Please try again later."
        ),
        "job_failed_image": "😕 I couldn't read one of the pictures. Please send another photo.",
        "job_failed_too_big": (
            "😕 That file is over Telegram's 20 MB limit for bots. Please send a smaller photo."
        ),
        "job_failed_input": (
            "😕 Telegram no longer has your photos for me. Please send them again."
        ),
        "job_failed_preset": "😕 That painting isn't available right now. Please pick another.",
        "job_failed_timeout": (
            "⏱ This took too long, so I stopped it. Try a lower quality in /settings."
        ),
        "job_failed_no_engine": (
            "⏱ No painter was free to take your picture in time. Please try again in a few minutes."
        ),
        "job_delivery_retry": (
            "📤 Your picture is ready, but Telegram didn't take it just now."
            " I'll try again shortly."
        ),
        "job_delivery_unsure": (
            "⚠️ I restarted while sending your picture. If it didn't arrive, tap a button below"
            " to paint it again."
        ),
        # Handlers: /start, /help and the command menu.
        "start": (
            "👋 I repaint your photos in the style of a painting.\n"
            "Send a photo, then a painting whose style you like (or pick one of mine) — that's it."
        ),
        "help": (
            "How it works: send a photo, then a painting whose style you like, or pick a preset."
            " You get your photo back, painted.\n\n"
            "/presets — paintings to choose from\n"
            "/try — your photo in every painting at once, to choose\n"
            "/style NAME — pick one by name, e.g. /style starry night\n"
            "/settings — quality, style strength, colours, preview, keep me, language\n"
            "/status — what I'm doing for you right now\n"
            "/cancel — stop the current picture and forget waiting photos\n"
            "/privacy — what I keep and for how long\n"
            "/forget — delete your data\n\n"
            "Tips\n"
            "• Send both at once as an album: the first picture is the photo, the second the"
            " painting.\n"
            "• Write a preset's name as the photo's caption to use it straight away.\n"
            "• Images sent as files keep all their detail.\n"
            "• The buttons under a result redo it without sending anything again."
        ),
        "cmd_start": "How it works",
        "cmd_presets": "Paintings to choose from",
        "cmd_style": "Pick a painting by name",
        "cmd_settings": "Quality, strength, brush, colours, language",
        "cmd_status": "What's in progress",
        "cmd_cancel": "Cancel the current picture",
        "cmd_help": "Commands and tips",
        "cmd_privacy": "What is stored and for how long",
        "cmd_forget": "Delete my data",
        "cmd_stats": "Usage statistics",
        "button_presets": "🖼 Presets",
        "button_settings": "⚙️ Settings",
        "button_help": "❓ Help",
        # Handlers: photos and image files.
        "got_content": (
            "📷 Got your photo. Now send a painting whose style you like, or pick a preset."
        ),
        "replaced_content": "📷 The album's first picture replaces the photo you sent before.",
        "same_photo": (
            "That's the same photo again. Send a painting whose style you like, or pick a preset."
        ),
        "album_extra": (
            "I used the first three pictures of the album: the photo, then two paintings to blend."
        ),
        "first_frame": "🎞 That image is animated; I'll use its first frame.",
        "bad_not_image": "That isn't an image. Send a photo, or a JPEG, PNG or WebP file.",
        "bad_unsupported": (
            "I can't read that image format. Send a JPEG, PNG or WebP, or just a photo."
        ),
        "bad_corrupt": (
            "I couldn't open that image: it seems damaged or incomplete. Try sending it again,"
            " or as a photo."
        ),
        "bad_too_big_bytes": (
            "That file is over {max_mb} MB, more than Telegram lets me download. Send it as a"
            " photo instead, or a smaller file."
        ),
        "bad_too_many_pixels": (
            "That image is too big: up to {max_mp} megapixels, please. Send a smaller version,"
            " or send it as a photo."
        ),
        "bad_too_small": (
            "That image is too small: it needs at least {min_side} pixels on each side."
            " Send a bigger one."
        ),
        "download_failed": "I couldn't download that file from Telegram. Please send it again.",
        "busy": (
            "⏳ I'm still working on your earlier pictures (up to {limit} at once). Wait for one"
            " to finish (or /cancel), then try again."
        ),
        "queue_full": (
            "🚦 I'm very busy right now (queue: {queue}, about {minutes} min)."
            " Please try again a little later."
        ),
        "quota": "You've reached the daily limit ({limit} a day). Come back tomorrow! 🌙",
        # Handlers: presets.
        "presets_caption": (
            "🖼 Pick a painting: tap its number, or type /style and its name.\n\n{lines}"
        ),
        "preset_line": "{number}. {title} — {artist}",
        "preset_line_year": "{number}. {title} — {artist}, {year}",
        "preset_button": "{number} · {title}",
        "presets_missing": "Not available right now: {titles}.",
        "presets_unavailable": (
            "Sorry, I can't load my preset paintings right now. You can always send a painting"
            " of your own as a photo."
        ),
        "preset_chosen": "🎨 {title} it is. Now send the photo you want painted.",
        "preset_tip": "Tip: this painting looks best at {strength} strength; see /settings.",
        "preset_suggest": "I don't have a painting called “{name}”. Did you mean {title}?",
        "preset_not_found": "I don't have a painting called “{name}”. /presets shows them all.",
        "preset_failed": (
            "Sorry, I can't load {title} right now. Pick another painting or send your own."
        ),
        # Handlers: /settings.
        "settings": (
            "⚙️ Your settings (tap to change)\n\n"
            "Quality: {quality}\n"
            "Style strength: {strength}\n"
            "Brush size: {brush}\n"
            "Keep the photo's colours: {colors}\n"
            "Fast preview first: {preview}\n"
            "Photos: paint {person}\n"
            "Language: {language_name}"
        ),
        "settings_saved": "Saved ✓",
        "quality_fast": "Fast preview only",
        "quality_standard": "Standard",
        "quality_high": "High",
        "quality_button": "{name} · {side} px · ~{wait}",
        "duration_seconds": "{n} s",
        "duration_minutes": "{n} min",
        "strength_soft": "Soft",
        "strength_medium": "Medium",
        "strength_strong": "Strong",
        "on": "on",
        "off": "off",
        "button_colors_on": "🎨 Keep the photo's colours: turn on",
        "button_colors_off": "🎨 Keep the photo's colours: turn off",
        "button_preview_on": "⚡ Fast preview first: turn on",
        "button_preview_off": "⚡ Fast preview first: turn off",
        "person_off": "the whole picture",
        "person_background": "the background; you stay as photographed",
        "person_person": "the person; the background stays as photographed",
        "person_button_off": "🖼 Paint it all",
        "person_button_background": "🧍 Keep me, paint the background",
        "person_button_person": "🏞 Keep the background, paint me",
        "person_button_unavailable": "🧍 Keep me: not available now",
        "person_unavailable": (
            "I can't tell people from backgrounds on this server right now, so I paint the whole"
            " picture."
        ),
        "language_name": "English",
        # Handlers: /status, /cancel and the buttons on status messages and results.
        "status_photo": "📷 Your photo is waiting for a painting: send one or pick a preset.",
        "status_mix": (
            "🎨 Your picture is waiting for a second painting to mix in: send one or pick a preset."
        ),
        "status_clip": "🎞 Your clip is waiting for a painting: send one or pick a preset.",
        "status_preset_chosen": "🎨 {title} is chosen: send the photo you want painted.",
        "status_idle": "Nothing in progress. Send a photo to start.",
        "status_capacity": "🖥 Painters online: {engines} ({busy} busy). Waiting in line: {queue}.",
        "status_offline": (
            "🖥 No painter is online right now: pictures wait in line and are painted as soon as"
            " one is back. Waiting in line: {queue}."
        ),
        "status_oldest": "⏳ The first in line has waited {wait}.",
        "cancelled_job": "🛑 Cancelled. Send a new photo whenever you like.",
        "cancelled_pending": (
            "🗑 I've forgotten what was waiting (your photo, clip or chosen painting). Send a new"
            " photo whenever you like."
        ),
        "nothing_to_cancel": "There's nothing to cancel. Send a photo to start.",
        "cancel_done": "Cancelled",
        "cancel_too_late": "This picture is no longer in progress.",
        "rerun_gone": "I no longer have those photos. Please send them again.",
        "not_yours": "These buttons are for the person who asked for this picture.",
        "send_new_style": "🎨 Send another painting for the same photo, or pick a preset.",
        "already_stronger": "That's already the strongest setting.",
        "already_softer": "That's already the softest setting.",
        # Try every preset (/try): the contact sheet.
        "cmd_try": "Your photo in every painting",
        "button_try": "✨ Try every preset",
        "try_needs_photo": "Send me a photo first; then /try shows it in every painting.",
        "try_started": "✨ Painting your photo in {count} styles, a few seconds…",
        "try_caption": (
            "✨ Your photo in every painting (quick sketches). Tap a number to paint it in full."
        ),
        "try_busy": "I'm still drawing your sheet; it will be here in a moment.",
        "try_unavailable": "Quick sketches aren't available right now. Pick a painting: /presets",
        "try_failed": "😕 I couldn't draw the sheet. Please try /try again, or pick from /presets.",
        # Brush size and variations.
        "button_bigger_brush": "Bigger brush",
        "button_smaller_brush": "Smaller brush",
        "button_variation": "🎲 Variation",
        "button_keep_me": "🧍 Keep me",
        "button_keep_background": "🏞 Keep the background",
        "button_paint_all": "🖼 Paint it all",
        "person_unavailable_job": (
            "🧍 I can't find the person right now, so I'm painting the whole picture."
        ),
        "person_none_job": "🧍 I see no one in this photo, so here it is painted whole.",
        "button_mix_with": "🎨 Mix with…",
        "button_mix_share": "{percent} % first",
        "mix_send_painting": (
            "🎨 Send a second painting, or pick a preset: I'll blend it half and half with this"
            " one. The buttons under the result then change the mix."
        ),
        "job_mix_style": "{a} {share_a} % + {b} {share_b} %",
        # Animations.
        "got_animation": (
            "🎞 Got your animation. Now send a painting whose style you like, or pick a preset."
        ),
        "animation_too_long": (
            "🎞 That clip is {seconds} s long. I can paint animations and videos of up to"
            " {max_s} s and {max_mb} MB; please send a shorter one."
        ),
        "animation_too_big": (
            "🎞 That clip is over {max_mb} MB. I can paint animations and videos of up to"
            " {max_s} s and {max_mb} MB; please send a smaller one."
        ),
        "job_failed_animation": (
            "😕 I couldn't read that clip as a video. Send a GIF, an animation or a video of up"
            " to {max_s} s."
        ),
        "job_animation_caption": "🎞 {style} · {duration}",
        "already_bigger": "That's already the largest brush.",
        "already_smaller": "That's already the smallest brush.",
        "brush_small": "small",
        "brush_medium": "medium",
        "brush_large": "large",
        "brush_button": "🖌 {name}",
        "brush_button_slower": "🖌 {name} (+{extra})",
        # Handlers: /privacy, /forget, /stats, and everything else.
        "privacy": (
            "🔒 What I keep\n"
            "• Your settings, until you delete them.\n"
            "• Your pictures by Telegram's reference, never copies: a photo waiting for its"
            " painting, and your pictures' history (so the buttons under a result work), for"
            " {days} days.\n"
            "• A finished picture only until it has been sent to you; then, like your"
            " pictures, only Telegram's reference to it (for 🖨 Print size).\n"
            "• In a group: only what you ask me with /paint, and whether its admins turned me"
            " off; nothing else said there.\n\n"
            "/forget deletes all of it now."
        ),
        "forget_confirm": (
            "Delete everything I have about you: settings, waiting photos, pictures in progress"
            " and history? This can't be undone."
        ),
        "button_forget_yes": "Yes, delete",
        "button_forget_no": "No, keep it",
        "forgotten": "✅ Done: I've deleted all your data. Send a photo any time to start again.",
        "forget_kept": "OK, nothing was deleted.",
        "stats": (
            "📊 Today (UTC)\n"
            "Users: {users}\n"
            "Jobs: {jobs}\n"
            "Queue: {queue}\n"
            "Average wait: {wait} s\n"
            "Average run: {run} s\n"
            "Failures: {failures}\n"
            "Painters online: {engines} ({busy} busy)"
        ),
        "unknown_command": "I don't know that command. /help lists what I can do.",
        "text_hint": (
            "Send me a photo to start, then a painting (or pick one with /presets). /help has tips."
        ),
        "error": "😕 Something went wrong on my side. Please try again.",
        "button_stale": "This button no longer works. Send /start to begin again.",
        # Group chats: /paint as a reply to a picture.
        "group_intro": (
            "🎨 Hi! I turn photos into paintings. Reply to a photo (or an image file) here with"
            " /paint and a painting's name, like /paint starry night; /paint alone paints it as"
            " {default}. Add png at the end to get the full-size file too.\n\n"
            "I only see commands and replies to my messages, never the rest of the chat. The"
            " picture counts towards the daily limit of whoever asks, and its buttons work only"
            " for them. Admins: /paint off silences me here, /paint on wakes me up. In a private"
            " chat with me: all the paintings, /settings and more."
        ),
        "paint_hint": (
            "Reply to a photo (or an image file) with /paint, and a painting's name if you like:"
            " /paint starry night."
        ),
        "paint_off": "🔕 I'll stay quiet in this group. An admin can wake me up with /paint on.",
        "paint_on": "🎨 I'm painting in this group again: reply to a photo with /paint.",
        "paint_admins_only": "Only the group's admins can turn me on or off here.",
        "paint_not_found": (
            "I don't have a painting called “{name}”. In a private chat with me, /presets shows"
            " them all."
        ),
        "cmd_paint": "Reply to a photo: paint it (/paint starry night)",
        "button_painting_colors": "Painting's colours",
        # Print size: a result painted on larger, sent as a file to print.
        "button_print": "🖨 Print size",
        "print_offer": (
            "🖨 I'll paint this picture again, larger: the same painting with finer brushwork, not"
            " just enlarged, sent as a file to print at 300 dpi. It counts as one picture of your"
            " daily limit. Which size?"
        ),
        "print_size_button": "{side} px · {cm} cm · ~{wait}",
        "print_off": "Print sizes are turned off on this server.",
        "print_unavailable": (
            "🖨 I no longer have this painting, so I can't paint it larger. Tap a button under it"
            " to paint it again, then 🖨 Print size."
        ),
        "job_print_caption": "🖨 {style}\n{side} px — {width} × {height} cm at {dpi} dpi",
        "job_failed_print_timeout": (
            "⏱ This print took too long, so I stopped it. Try a smaller size, or again later."
        ),
    },
    "ru": {
        "button_cancel": "Отменить",
        "button_stronger": "Сильнее",
        "button_softer": "Мягче",
        "button_keep_colors": "Сохранить цвета",
        "button_another_style": "Другой стиль",
        # The job side: a job's status message, its preview and its result.
        "job_queued": "🕐 В очереди: номер {position}. Будет готово примерно через {wait}.",
        "job_queued_offline": (
            "🕐 В очереди: номер {position}. Художник сейчас не на связи; ваша картинка будет"
            " нарисована, как только он вернётся."
        ),
        "job_starting": "🎨 Начинаю…",
        "job_progress": "🎨 Рисую… {percent}%\n{bar}\nОсталось примерно {left}.",
        "job_print_paused": (
            "⏸ Пауза на {percent}%\n{bar}\nСначала идут картинки побыстрее, затем печать"
            " продолжится."
        ),
        "job_preview_caption": "⚡ Быстрое превью. Полная картина уже в работе.",
        "job_done": "✅ Готово за {duration}.",
        "job_caption": "🖼 {style}\n{quality} · {strength}{colors} · {duration}",
        "job_caption_colors": " · цвета фото",
        "job_your_painting": "Ваша картина",
        "job_cancelled": "🛑 Отменено.",
        "job_paused": (
            "⏸ Я перезапускаюсь. Ваша картинка сохранит место в очереди и скоро продолжится."
        ),
        "job_failed": (
            "😕 Простите, не получилось нарисовать эту картинку за {attempts} попытки."
            " Попробуйте позже."
        ),
        "job_failed_image": (
            "😕 Не удалось прочитать одну из картинок. Пожалуйста, пришлите другое фото."
        ),
        "job_failed_too_big": (
            "😕 Файл больше 20 МБ, а Telegram не даёт ботам скачивать такие."
            " Пришлите фото поменьше."
        ),
        "job_failed_input": (
            "😕 Telegram больше не отдаёт мне ваши фото. Пожалуйста, пришлите их снова."
        ),
        "job_failed_preset": "😕 Эта картина сейчас недоступна. Пожалуйста, выберите другую.",
        "job_failed_timeout": (
            "⏱ Это заняло слишком много времени, и я остановился."
            " Попробуйте качество пониже в /settings."
        ),
        "job_failed_no_engine": (
            "⏱ Ни один художник не освободился вовремя, чтобы взяться за вашу картинку."
            " Попробуйте снова через несколько минут."
        ),
        "job_delivery_retry": (
            "📤 Картинка готова, но Telegram сейчас её не принял. Скоро попробую отправить снова."
        ),
        "job_delivery_unsure": (
            "⚠️ Я перезапустился, пока отправлял картинку. Если она не пришла, нажмите кнопку"
            " ниже, чтобы нарисовать её снова."
        ),
        "start": (
            "👋 Я перерисовываю фотографии в стиле картин.\n"
            "Пришлите фото, а затем картину, стиль которой вам нравится (или выберите одну из"
            " моих), — и всё."
        ),
        "help": (
            "Как это работает: пришлите фото, затем картину, стиль которой вам нравится, или"
            " выберите готовую. В ответ придёт ваше фото, написанное в этом стиле.\n\n"
            "/presets — картины на выбор\n"
            "/try — ваше фото сразу во всех картинах, чтобы выбрать\n"
            "/style НАЗВАНИЕ — выбрать картину по названию, например /style звёздная ночь\n"
            "/settings — качество, сила стиля, цвета, превью, фон, язык\n"
            "/status — что я сейчас делаю для вас\n"
            "/cancel — остановить текущую картинку и забыть ожидающие фото\n"
            "/privacy — что я храню и сколько\n"
            "/forget — удалить ваши данные\n\n"
            "Советы\n"
            "• Пришлите оба снимка сразу альбомом: первый — фото, второй — картина.\n"
            "• Напишите название картины в подписи к фото, чтобы сразу её применить.\n"
            "• Изображения, отправленные файлом, сохраняют все детали.\n"
            "• Кнопки под результатом переделывают его без повторной отправки фото."
        ),
        "cmd_start": "Как это работает",
        "cmd_presets": "Картины на выбор",
        "cmd_style": "Выбрать картину по названию",
        "cmd_settings": "Качество, сила стиля, кисть, цвета, язык",
        "cmd_status": "Что сейчас в работе",
        "cmd_cancel": "Отменить текущую картинку",
        "cmd_help": "Команды и советы",
        "cmd_privacy": "Что хранится и сколько",
        "cmd_forget": "Удалить мои данные",
        "cmd_stats": "Статистика использования",
        "button_presets": "🖼 Картины",
        "button_settings": "⚙️ Настройки",
        "button_help": "❓ Помощь",
        "got_content": (
            "📷 Фото получил. Теперь пришлите картину, стиль которой вам нравится, или выберите"
            " готовую."
        ),
        "replaced_content": "📷 Первый снимок альбома заменил фото, присланное раньше.",
        "same_photo": (
            "Это то же самое фото. Пришлите картину, стиль которой вам нравится, или выберите"
            " готовую."
        ),
        "album_extra": ("Я взял первые три снимка альбома: фото и две картины, чтобы их смешать."),
        "first_frame": "🎞 Это анимированное изображение; я возьму его первый кадр.",
        "bad_not_image": "Это не изображение. Пришлите фото или файл JPEG, PNG или WebP.",
        "bad_unsupported": (
            "Не могу прочитать этот формат. Пришлите JPEG, PNG или WebP либо просто фото."
        ),
        "bad_corrupt": (
            "Не удалось открыть изображение: похоже, оно повреждено или не докачалось."
            " Попробуйте отправить ещё раз или как фото."
        ),
        "bad_too_big_bytes": (
            "Файл больше {max_mb} МБ — столько Telegram не даёт мне скачать. Пришлите его как"
            " фото или файл поменьше."
        ),
        "bad_too_many_pixels": (
            "Изображение слишком большое: не больше {max_mp} мегапикселей. Пришлите уменьшенную"
            " версию или отправьте его как фото."
        ),
        "bad_too_small": (
            "Изображение слишком маленькое: нужно не меньше {min_side} пикселей по каждой"
            " стороне. Пришлите побольше."
        ),
        "download_failed": "Не удалось скачать файл из Telegram. Пожалуйста, пришлите его ещё раз.",
        "busy": (
            "⏳ Я ещё работаю над вашими прошлыми картинками (не больше {limit} сразу)."
            " Дождитесь, пока одна будет готова (или отмените через /cancel), и попробуйте снова."
        ),
        "queue_full": (
            "🚦 Сейчас я очень занят (в очереди: {queue}, примерно {minutes} мин)."
            " Попробуйте чуть позже."
        ),
        "quota": "Вы достигли дневного лимита ({limit} в день). Приходите завтра! 🌙",
        "presets_caption": (
            "🖼 Выберите картину: нажмите её номер или напишите /style и название.\n\n{lines}"
        ),
        "preset_line": "{number}. {title} — {artist}",
        "preset_line_year": "{number}. {title} — {artist}, {year}",
        "preset_button": "{number} · {title}",
        "presets_missing": "Сейчас недоступны: {titles}.",
        "presets_unavailable": (
            "Простите, сейчас не получается загрузить готовые картины. Вы всегда можете прислать"
            " свою картину как фото."
        ),
        "preset_chosen": (
            "🎨 Выбрана картина «{title}». Теперь пришлите фото, которое нужно перерисовать."
        ),
        "preset_tip": (
            "Совет: эта картина лучше всего смотрится с силой стиля «{strength}», см. /settings."
        ),
        "preset_suggest": "Картины «{name}» у меня нет. Может быть, «{title}»?",
        "preset_not_found": "Картины «{name}» у меня нет. Все картины — в /presets.",
        "preset_failed": (
            "Простите, сейчас не получается загрузить «{title}». Выберите другую картину или"
            " пришлите свою."
        ),
        "settings": (
            "⚙️ Ваши настройки (нажмите, чтобы изменить)\n\n"
            "Качество: {quality}\n"
            "Сила стиля: {strength}\n"
            "Размер кисти: {brush}\n"
            "Сохранять цвета фото: {colors}\n"
            "Сначала быстрое превью: {preview}\n"
            "На фото рисовать: {person}\n"
            "Язык: {language_name}"
        ),
        "settings_saved": "Сохранено ✓",
        "quality_fast": "Только быстрое превью",
        "quality_standard": "Стандартное",
        "quality_high": "Высокое",
        "quality_button": "{name} · {side} px · ~{wait}",
        "duration_seconds": "{n} с",
        "duration_minutes": "{n} мин",
        "strength_soft": "Мягко",
        "strength_medium": "Средне",
        "strength_strong": "Сильно",
        "on": "вкл.",
        "off": "выкл.",
        "button_colors_on": "🎨 Сохранять цвета фото: включить",
        "button_colors_off": "🎨 Сохранять цвета фото: выключить",
        "button_preview_on": "⚡ Сначала быстрое превью: включить",
        "button_preview_off": "⚡ Сначала быстрое превью: выключить",
        "person_off": "всю картинку",
        "person_background": "фон, а вы остаётесь как на фото",
        "person_person": "человека, а фон остаётся как на фото",
        "person_button_off": "🖼 Рисовать всё",
        "person_button_background": "🧍 Оставить меня, рисовать фон",
        "person_button_person": "🏞 Оставить фон, рисовать меня",
        "person_button_unavailable": "🧍 Оставить меня: сейчас недоступно",
        "person_unavailable": (
            "Сейчас на этом сервере не получается отделить человека от фона, поэтому я рисую"
            " всю картинку."
        ),
        "language_name": "Русский",
        "status_photo": "📷 Ваше фото ждёт картину: пришлите её или выберите готовую.",
        "status_mix": (
            "🎨 Ваша картинка ждёт вторую картину для смешивания: пришлите её или выберите готовую."
        ),
        "status_clip": "🎞 Ваш ролик ждёт картину: пришлите её или выберите готовую.",
        "status_preset_chosen": (
            "🎨 Выбрана картина «{title}»: пришлите фото, которое нужно перерисовать."
        ),
        "status_idle": "Сейчас ничего не делается. Пришлите фото, чтобы начать.",
        "status_capacity": "🖥 Художников на связи: {engines} (заняты: {busy}). В очереди: {queue}.",
        "status_offline": (
            "🖥 Сейчас ни одного художника на связи: картинки ждут в очереди и будут нарисованы,"
            " как только художник вернётся. В очереди: {queue}."
        ),
        "status_oldest": "⏳ Первая в очереди ждёт уже {wait}.",
        "cancelled_job": "🛑 Отменено. Присылайте новое фото, когда захотите.",
        "cancelled_pending": (
            "🗑 Я забыл, что ждало продолжения (фото, ролик или выбранную картину). Присылайте"
            " новое фото, когда захотите."
        ),
        "nothing_to_cancel": "Отменять нечего. Пришлите фото, чтобы начать.",
        "cancel_done": "Отменено",
        "cancel_too_late": "Эта картинка уже не в работе.",
        "rerun_gone": "Этих фото у меня больше нет. Пожалуйста, пришлите их снова.",
        "not_yours": "Эти кнопки — для того, кто попросил эту картинку.",
        "send_new_style": "🎨 Пришлите другую картину для того же фото или выберите готовую.",
        "already_stronger": "Сила стиля уже максимальная.",
        "already_softer": "Сила стиля уже минимальная.",
        # Try every preset (/try): the contact sheet.
        "cmd_try": "Ваше фото во всех картинах",
        "button_try": "✨ Примерить все картины",
        "try_needs_photo": "Сначала пришлите фото; потом /try покажет его во всех картинах.",
        "try_started": "✨ Рисую ваше фото в {count} стилях, несколько секунд…",
        "try_caption": (
            "✨ Ваше фото во всех картинах (быстрые наброски). Нажмите номер, чтобы написать"
            " его полностью."
        ),
        "try_busy": "Я ещё рисую ваш лист; он будет через мгновение.",
        "try_unavailable": "Быстрые наброски сейчас недоступны. Выберите картину: /presets",
        "try_failed": "😕 Не получилось нарисовать лист. Попробуйте /try ещё раз или /presets.",
        # Brush size and variations.
        "button_bigger_brush": "Кисть крупнее",
        "button_smaller_brush": "Кисть мельче",
        "button_variation": "🎲 Вариант",
        "button_keep_me": "🧍 Оставить меня",
        "button_keep_background": "🏞 Оставить фон",
        "button_paint_all": "🖼 Рисовать всё",
        "person_unavailable_job": (
            "🧍 Сейчас не получается найти человека на фото, поэтому я рисую всю картинку."
        ),
        "person_none_job": "🧍 На этом фото я не вижу людей, поэтому рисую его целиком.",
        "button_mix_with": "🎨 Смешать с…",
        "button_mix_share": "{percent} % первой",
        "mix_send_painting": (
            "🎨 Пришлите вторую картину или выберите готовую: я смешаю её с этой пополам."
            " Кнопки под результатом потом меняют пропорцию."
        ),
        "job_mix_style": "{a} {share_a} % + {b} {share_b} %",
        # Animations.
        "got_animation": (
            "🎞 Анимацию получил. Теперь пришлите картину, стиль которой вам нравится, или"
            " выберите готовую."
        ),
        "animation_too_long": (
            "🎞 Этот ролик длится {seconds} с. Я рисую анимации и видео до {max_s} с и"
            " {max_mb} МБ; пришлите покороче."
        ),
        "animation_too_big": (
            "🎞 Этот ролик больше {max_mb} МБ. Я рисую анимации и видео до {max_s} с и"
            " {max_mb} МБ; пришлите поменьше."
        ),
        "job_failed_animation": (
            "😕 Не получилось прочитать этот ролик как видео. Пришлите GIF, анимацию или видео"
            " до {max_s} с."
        ),
        "job_animation_caption": "🎞 {style} · {duration}",
        "already_bigger": "Кисть уже самая крупная.",
        "already_smaller": "Кисть уже самая мелкая.",
        "brush_small": "мелкая",
        "brush_medium": "средняя",
        "brush_large": "крупная",
        "brush_button": "🖌 {name}",
        "brush_button_slower": "🖌 {name} (+{extra})",
        "privacy": (
            "🔒 Что я храню\n"
            "• Ваши настройки — пока вы их не удалите.\n"
            "• Ваши снимки только как ссылки Telegram, без копий: фото, ждущее картину, и"
            " историю картинок (чтобы работали кнопки под результатом) — {days} дн.\n"
            "• Готовую картинку — только пока она не отправлена вам; потом, как и ваши снимки,"
            " только ссылку Telegram на неё (для «🖨 Для печати»).\n"
            "• В группе — только то, о чём вы просите командой /paint, и выключили ли меня"
            " админы; больше ничего из сказанного там.\n\n"
            "/forget удалит всё это сразу."
        ),
        "forget_confirm": (
            "Удалить всё, что я о вас храню: настройки, ожидающие фото, картинки в работе и"
            " историю? Это нельзя отменить."
        ),
        "button_forget_yes": "Да, удалить",
        "button_forget_no": "Нет, оставить",
        "forgotten": (
            "✅ Готово: все ваши данные удалены. Присылайте фото, когда захотите начать снова."
        ),
        "forget_kept": "Хорошо, ничего не удалено.",
        "stats": (
            "📊 Сегодня (UTC)\n"
            "Пользователей: {users}\n"
            "Заданий: {jobs}\n"
            "В очереди: {queue}\n"
            "Среднее ожидание: {wait} с\n"
            "Средняя работа: {run} с\n"
            "Сбоев: {failures}\n"
            "Художников на связи: {engines} (заняты: {busy})"
        ),
        "unknown_command": "Я не знаю такой команды. Все команды — в /help.",
        "text_hint": (
            "Пришлите мне фото, а затем картину (или выберите её в /presets). Советы — в /help."
        ),
        "error": "😕 У меня что-то сломалось. Пожалуйста, попробуйте ещё раз.",
        "button_stale": "Эта кнопка больше не работает. Отправьте /start, чтобы начать заново.",
        "group_intro": (
            "🎨 Привет! Я превращаю фото в картины. Ответьте здесь на фото (или файл с картинкой)"
            " командой /paint с названием картины, например /paint звёздная ночь; просто /paint"
            " рисует в стиле «{default}». Добавьте в конце png, чтобы получить и полноразмерный"
            " файл.\n\n"
            "Я вижу только команды и ответы на мои сообщения, остальной чат — нет. Картинка"
            " засчитывается в дневной лимит того, кто попросил, и её кнопки работают только для"
            " него. Админы: /paint off — я замолкаю здесь, /paint on — снова рисую. В личном"
            " чате со мной — все картины, /settings и остальное."
        ),
        "paint_hint": (
            "Ответьте на фото (или файл с картинкой) командой /paint и, если хотите, названием"
            " картины: /paint звёздная ночь."
        ),
        "paint_off": "🔕 Я замолкаю в этой группе. Админ может вернуть меня командой /paint on.",
        "paint_on": "🎨 Я снова рисую в этой группе: ответьте на фото командой /paint.",
        "paint_admins_only": "Включать и выключать меня здесь могут только админы группы.",
        "paint_not_found": (
            "У меня нет картины «{name}». Все картины — в /presets в личном чате со мной."
        ),
        "cmd_paint": "Ответом на фото: нарисовать его (/paint звёздная ночь)",
        "button_painting_colors": "Цвета картины",
        "button_print": "🖨 Для печати",
        "print_offer": (
            "🖨 Я нарисую эту картину заново, крупнее: та же картина с более тонкими мазками, а не"
            " просто увеличенная, — и пришлю файлом для печати с разрешением 300 dpi. Это одна"
            " картинка из вашего дневного лимита. Какой размер?"
        ),
        "print_size_button": "{side} px · {cm} см · ~{wait}",
        "print_off": "Версии для печати на этом сервере выключены.",
        "print_unavailable": (
            "🖨 У меня больше нет этой картины, поэтому нарисовать её крупнее не получится."
            " Нажмите кнопку под ней, чтобы нарисовать её снова, а затем «🖨 Для печати»."
        ),
        "job_print_caption": "🖨 {style}\n{side} px — {width} × {height} см при {dpi} dpi",
        "job_failed_print_timeout": (
            "⏱ Версия для печати рисовалась слишком долго, и я остановился. Попробуйте размер"
            " поменьше или повторите позже."
        ),
    },
}


def language_for(code: str | None) -> str:
    """The catalog language for a Telegram language_code such as 'ru' or 'en-US'."""
    base = (code or "").split("-")[0].lower()
    return base if base in CATALOG else DEFAULT_LANGUAGE


def t(language: str, key: str, **values: object) -> str:
    """The text for key in language (falling back to English), with placeholders filled in."""
    catalog = CATALOG.get(language, CATALOG[DEFAULT_LANGUAGE])
    template = catalog.get(key) or CATALOG[DEFAULT_LANGUAGE][key]
    return template.format(**values)
