<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="ru">
<context>
    <name>AccountAdvanced</name>
    <message>
        <source>Advanced: behind a router / over the internet</source>
        <translation>Дополнительно: за роутером / через интернет</translation>
    </message>
    <message>
        <source>stun.example.org:3478 (empty: none)</source>
        <translation>stun.example.org:3478 (пусто: нет)</translation>
    </message>
    <message>
        <source>Use ICE (always on with a TURN server)</source>
        <translation>Использовать ICE (всегда включён при TURN-сервере)</translation>
    </message>
    <message>
        <source>turn.example.org:3478 (empty: none)</source>
        <translation>turn.example.org:3478 (пусто: нет)</translation>
    </message>
    <message>
        <source>the router&apos;s public IP, when it forwards the SIP and media ports</source>
        <translation>публичный IP роутера, если он пробрасывает порты SIP и медиа</translation>
    </message>
    <message>
        <source> s</source>
        <translation> с</translation>
    </message>
    <message>
        <source>off</source>
        <translation>выкл.</translation>
    </message>
    <message>
        <source>Off</source>
        <translation>Выключено</translation>
    </message>
    <message>
        <source>When the other side can (optional)</source>
        <translation>Если другая сторона может (по возможности)</translation>
    </message>
    <message>
        <source>Always: refuse unencrypted calls</source>
        <translation>Всегда: отклонять незашифрованные звонки</translation>
    </message>
    <message>
        <source>Send the encryption keys only over TLS</source>
        <translation>Передавать ключи шифрования только по TLS</translation>
    </message>
    <message>
        <source>STUN server</source>
        <translation>STUN-сервер</translation>
    </message>
    <message>
        <source>TURN server</source>
        <translation>TURN-сервер</translation>
    </message>
    <message>
        <source>TURN user name</source>
        <translation>Имя пользователя TURN</translation>
    </message>
    <message>
        <source>TURN password</source>
        <translation>Пароль TURN</translation>
    </message>
    <message>
        <source>TURN transport</source>
        <translation>Транспорт TURN</translation>
    </message>
    <message>
        <source>Public address</source>
        <translation>Публичный адрес</translation>
    </message>
    <message>
        <source>Keep-alive every</source>
        <translation>Keep-alive каждые</translation>
    </message>
    <message>
        <source>Encrypted calls (SRTP)</source>
        <translation>Шифрование звонков (SRTP)</translation>
    </message>
    <message>
        <source>%1: expected host or host:port (%2)</source>
        <translation>%1: ожидается хост или хост:порт (%2)</translation>
    </message>
    <message>
        <source>Public address: expected the router&apos;s public IP address, e.g. 203.0.113.7</source>
        <translation>Публичный адрес: ожидается публичный IP-адрес роутера, например 203.0.113.7</translation>
    </message>
    <message>
        <source>A TURN user name or password needs a TURN server.</source>
        <translation>Для имени пользователя или пароля TURN нужен TURN-сервер.</translation>
    </message>
    <message>
        <source>Always-encrypted calls send their keys only over TLS: choose the TLS transport, or untick &quot;Send the encryption keys only over TLS&quot;.</source>
        <translation>Всегда шифруемые звонки передают ключи только по TLS: выберите транспорт TLS или снимите флажок «Передавать ключи шифрования только по TLS».</translation>
    </message>
</context>
<context>
    <name>AccountChooser</name>
    <message>
        <source>The account the call goes out from</source>
        <translation>Учётная запись, с которой идёт звонок</translation>
    </message>
</context>
<context>
    <name>AccountTester</name>
    <message>
        <source>The phone is not running: the account cannot be tested now.</source>
        <translation>Телефон не запущен: проверить учётную запись сейчас нельзя.</translation>
    </message>
    <message>
        <source>The test could not start: %1</source>
        <translation>Проверку не удалось начать: %1</translation>
    </message>
    <message>
        <source>The test could not run: %1</source>
        <translation>Проверка не выполнена: %1</translation>
    </message>
    <message>
        <source>No answer from the phone engine: try again.</source>
        <translation>Нет ответа от SIP-движка: попробуйте ещё раз.</translation>
    </message>
    <message>
        <source>NAT: none, this computer has a public address (%1)</source>
        <translation>NAT: нет, у компьютера публичный адрес (%1)</translation>
    </message>
    <message>
        <source>NAT: cone NAT, a stable public address (%1): STUN is enough for calls</source>
        <translation>NAT: конусный, постоянный публичный адрес (%1): для звонков достаточно STUN</translation>
    </message>
    <message>
        <source>it lets in packets from anyone</source>
        <translation>пропускает пакеты от любого узла</translation>
    </message>
    <message>
        <source>it lets in packets only from hosts we sent to</source>
        <translation>пропускает пакеты только от узлов, которым мы отправляли</translation>
    </message>
    <message>
        <source>it lets in packets only from the exact address and port we sent to</source>
        <translation>пропускает пакеты только с того адреса и порта, куда мы отправляли</translation>
    </message>
    <message>
        <source>NAT: symmetric NAT (public address %1, a new port for every destination): calls need a TURN relay</source>
        <translation>NAT: симметричный (публичный адрес %1, новый порт для каждого адресата): для звонков нужен TURN-сервер</translation>
    </message>
    <message>
        <source>NAT: behind a NAT (public address %1); the STUN server cannot tell which kind</source>
        <translation>NAT: за NAT (публичный адрес %1); STUN-сервер не может определить его тип</translation>
    </message>
    <message>
        <source>NAT: no answer from the STUN server %1 (UDP blocked, or a wrong address)</source>
        <translation>NAT: STUN-сервер %1 не отвечает (UDP заблокирован или неверный адрес)</translation>
    </message>
    <message>
        <source>NAT: the check failed: %1</source>
        <translation>NAT: проверка не удалась: %1</translation>
    </message>
    <message>
        <source>Registered (%1)</source>
        <translation>Зарегистрирована (%1)</translation>
    </message>
    <message>
        <source>A LAN account needs no registration: the phone listens on %1</source>
        <translation>Учётной записи локальной сети регистрация не нужна: телефон принимает звонки на %1</translation>
    </message>
    <message>
        <source>The server name does not resolve: %1</source>
        <translation>Имя сервера не находится в DNS: %1</translation>
    </message>
    <message>
        <source>No answer from the server (408)</source>
        <translation>Сервер не отвечает (408)</translation>
    </message>
    <message>
        <source>The account settings are not usable: %1</source>
        <translation>С такими настройками учётная запись не работает: %1</translation>
    </message>
    <message>
        <source>Failed: %1 — check the user name and password</source>
        <translation>Ошибка: %1 — проверьте имя пользователя и пароль</translation>
    </message>
    <message>
        <source>Failed: %1 — the server does not know this address</source>
        <translation>Ошибка: %1 — сервер не знает этот адрес</translation>
    </message>
    <message>
        <source>Failed: %1 — the server cannot be reached</source>
        <translation>Ошибка: %1 — сервер недоступен</translation>
    </message>
    <message>
        <source>no connection</source>
        <translation>нет соединения</translation>
    </message>
    <message>
        <source>Failed: %1</source>
        <translation>Ошибка: %1</translation>
    </message>
</context>
<context>
    <name>App</name>
    <message>
        <source>Port %1 is in use (is another softphone running?): using another port.</source>
        <extracomment>softphone.toml was refused and the app runs on defaults: settings are not saved</extracomment>
        <translation>Порт %1 занят (запущен другой софтфон?): используется другой порт.</translation>
    </message>
    <message>
        <source>The phone could not start: %1</source>
        <translation>Не удалось запустить телефон: %1</translation>
    </message>
    <message>
        <source>Listening on %1.</source>
        <translation type="vanished">Ожидание звонков на %1.</translation>
    </message>
    <message>
        <source>Settings not saved: %1</source>
        <translation>Настройки не сохранены: %1</translation>
    </message>
    <message>
        <source>Settings saved, but start at login was not changed: %1</source>
        <translation>Настройки сохранены, но запуск при входе в систему не изменён: %1</translation>
    </message>
    <message>
        <source>Settings applied until you quit, not saved: softphone.toml has an error. Fix the file, then restart.</source>
        <translation>Настройки действуют до выхода и не сохранены: в softphone.toml ошибка. Исправьте файл и перезапустите программу.</translation>
    </message>
    <message>
        <source>Settings saved</source>
        <translation>Настройки сохранены</translation>
    </message>
    <message>
        <source>tel:, sip: and callto: links were not registered: %1</source>
        <translation>Ссылки tel:, sip: и callto: не зарегистрированы: %1</translation>
    </message>
    <message>
        <source>nothing to dial</source>
        <translation>нечего набирать</translation>
    </message>
    <message>
        <source>cannot dial</source>
        <translation>не удалось позвонить</translation>
    </message>
    <message>
        <source>calling %1</source>
        <translation>звоним на %1</translation>
    </message>
    <message>
        <source>no incoming call</source>
        <translation>нет входящего звонка</translation>
    </message>
    <message>
        <source>answered</source>
        <translation>отвечено</translation>
    </message>
    <message>
        <source>no call</source>
        <translation>нет звонка</translation>
    </message>
    <message>
        <source>hung up</source>
        <translation>звонок завершён</translation>
    </message>
    <message>
        <source>do not disturb is on</source>
        <translation>режим «Не беспокоить» включён</translation>
    </message>
    <message>
        <source>do not disturb is off</source>
        <translation>режим «Не беспокоить» выключен</translation>
    </message>
    <message>
        <source>unknown command: %1</source>
        <translation>неизвестная команда: %1</translation>
    </message>
    <message>
        <source>Another Softphone already runs for this profile.</source>
        <translation>Для этого профиля уже запущен другой Softphone.</translation>
    </message>
    <message>
        <source>Default settings: softphone.toml has an error and is not used (%1)</source>
        <translation>Настройки по умолчанию: в softphone.toml ошибка, файл не используется (%1)</translation>
    </message>
    <message>
        <source>Region %1: %2 numbers that came without a region are now normalised and linked to their contacts.</source>
        <translation>Регион %1: номера, пришедшие без региона (%2), приведены к полному виду и связаны с контактами.</translation>
    </message>
    <message>
        <source>the interface language</source>
        <translation>языка интерфейса</translation>
    </message>
    <message>
        <source>the contact database</source>
        <translation>базы контактов</translation>
    </message>
</context>
<context>
    <name>BarChart</name>
    <message>
        <source>No calls yet</source>
        <translation>Звонков пока нет</translation>
    </message>
</context>
<context>
    <name>CallKeys</name>
    <message>
        <source>The global shortcut %1 is taken by another application: choose another one in Settings.</source>
        <translation>Глобальное сочетание клавиш %1 занято другим приложением: выберите другое в настройках.</translation>
    </message>
    <message>
        <source>The global shortcut %1 has no key on this keyboard.</source>
        <translation>Для глобального сочетания клавиш %1 на этой клавиатуре нет клавиши.</translation>
    </message>
    <message>
        <source>The global shortcut %1 could not be set: %2</source>
        <translation>Не удалось назначить глобальное сочетание клавиш %1: %2</translation>
    </message>
</context>
<context>
    <name>CallPanel</name>
    <message>
        <source>On hold</source>
        <translation>На удержании</translation>
    </message>
    <message>
        <source>Held by the other side</source>
        <translation>Удержание с той стороны</translation>
    </message>
    <message>
        <source>Calling…</source>
        <translation>Вызов…</translation>
    </message>
    <message>
        <source>Ringing (incoming)</source>
        <translation>Входящий звонок</translation>
    </message>
    <message>
        <source>Ringing…</source>
        <translation>Звонит…</translation>
    </message>
    <message>
        <source>Connecting…</source>
        <translation>Соединение…</translation>
    </message>
    <message>
        <source>Talking</source>
        <translation>Разговор</translation>
    </message>
    <message>
        <source>Ended</source>
        <translation>Завершён</translation>
    </message>
    <message>
        <source>Last call %1: %2</source>
        <translation>Последний звонок %1: %2</translation>
    </message>
    <message>
        <source>Task: %1</source>
        <translation>Задача: %1</translation>
    </message>
    <message>
        <source>Deal: %1 (%2)</source>
        <translation>Сделка: %1 (%2)</translation>
    </message>
    <message>
        <source>Not encrypted</source>
        <translation>Без шифрования</translation>
    </message>
    <message>
        <source>Encrypted (%1)</source>
        <translation>Зашифровано (%1)</translation>
    </message>
    <message>
        <source>REC</source>
        <extracomment>the engine&apos;s live figures of a call (MainWindow sets Engine.call_quality)</extracomment>
        <translation>ЗАП</translation>
    </message>
    <message>
        <source>Hang up</source>
        <translation>Положить трубку</translation>
    </message>
    <message>
        <source>Hold</source>
        <translation>Удержать</translation>
    </message>
    <message>
        <source>Mute</source>
        <translation>Без звука</translation>
    </message>
    <message>
        <source>Keypad</source>
        <translation>Клавиатура</translation>
    </message>
    <message>
        <source>Record</source>
        <translation>Запись</translation>
    </message>
    <message>
        <source>Merge calls</source>
        <translation>Объединить</translation>
    </message>
    <message>
        <source>Merge all calls into a conference</source>
        <translation>Объединить все звонки в конференцию</translation>
    </message>
    <message>
        <source>Transfer to: name, number or SIP URI</source>
        <translation>Перевести на: имя, номер или SIP-адрес</translation>
    </message>
    <message>
        <source>Transfer</source>
        <translation>Перевести</translation>
    </message>
    <message>
        <source>Blind transfer</source>
        <translation>Перевести без консультации</translation>
    </message>
    <message>
        <source>Consult first</source>
        <translation>С консультацией</translation>
    </message>
    <message>
        <source>Call the target, then transfer</source>
        <translation>Сначала позвонить адресату, затем перевести</translation>
    </message>
    <message>
        <source>Complete transfer</source>
        <translation>Завершить перевод</translation>
    </message>
    <message>
        <source>Sound</source>
        <translation>Звук</translation>
    </message>
    <message>
        <source>Microphone</source>
        <translation>Микрофон</translation>
    </message>
    <message>
        <source>Speaker</source>
        <translation>Динамик</translation>
    </message>
    <message>
        <source>Quality</source>
        <translation>Качество</translation>
    </message>
    <message>
        <source>Security</source>
        <translation>Защита</translation>
    </message>
    <message>
        <source>Voice</source>
        <translation>Голос</translation>
    </message>
    <message>
        <source>%1, loss %2%, jitter %3 ms</source>
        <translation>%1, потери %2%, джиттер %3 мс</translation>
    </message>
    <message>
        <source>%1, loss %2%</source>
        <translation>%1, потери %2%</translation>
    </message>
    <message>
        <source>System default</source>
        <translation>Системное по умолчанию</translation>
    </message>
    <message>
        <source>echo cancellation</source>
        <translation>подавление эха</translation>
    </message>
    <message>
        <source>noise suppression</source>
        <translation>шумоподавление</translation>
    </message>
    <message>
        <source>automatic gain</source>
        <translation>автоусиление</translation>
    </message>
    <message>
        <source>no echo cancellation or noise suppression</source>
        <translation>без подавления эха и шума</translation>
    </message>
</context>
<context>
    <name>CallProgress</name>
    <message>
        <source>Busy (%1)</source>
        <extracomment>SIP final answers and what they mean for the agent (&quot;%1&quot;: the code)</extracomment>
        <translation>Занято (%1)</translation>
    </message>
    <message>
        <source>Number not found (%1)</source>
        <translation>Номер не найден (%1)</translation>
    </message>
    <message>
        <source>Number no longer in use (%1)</source>
        <translation>Номер больше не обслуживается (%1)</translation>
    </message>
    <message>
        <source>Incomplete number (%1)</source>
        <translation>Неполный номер (%1)</translation>
    </message>
    <message>
        <source>Ambiguous number (%1)</source>
        <translation>Неоднозначный номер (%1)</translation>
    </message>
    <message>
        <source>Not allowed (%1)</source>
        <translation>Запрещено (%1)</translation>
    </message>
    <message>
        <source>Not authorised: check the account&apos;s password (%1)</source>
        <translation>Нет авторизации: проверьте пароль учётной записи (%1)</translation>
    </message>
    <message>
        <source>No common codec with the other side (%1)</source>
        <translation>Нет общего кодека с другой стороной (%1)</translation>
    </message>
    <message>
        <source>Server unavailable (%1)</source>
        <translation>Сервер недоступен (%1)</translation>
    </message>
    <message>
        <source>Server error (%1)</source>
        <translation>Ошибка сервера (%1)</translation>
    </message>
    <message>
        <source>Bad gateway (%1)</source>
        <translation>Ошибка шлюза (%1)</translation>
    </message>
    <message>
        <source>Server timed out (%1)</source>
        <translation>Сервер не ответил вовремя (%1)</translation>
    </message>
    <message>
        <source>Declined (%1)</source>
        <translation>Отклонено (%1)</translation>
    </message>
    <message>
        <source>Not supported by the other side (%1)</source>
        <translation>Не поддерживается другой стороной (%1)</translation>
    </message>
    <message>
        <source>The call no longer exists (%1)</source>
        <translation>Звонка больше нет (%1)</translation>
    </message>
    <message>
        <source>No answer from the server (%1)</source>
        <translation>Сервер не отвечает (%1)</translation>
    </message>
    <message>
        <source>No answer</source>
        <translation>Нет ответа</translation>
    </message>
    <message>
        <source>Cancelled</source>
        <translation>Отменён</translation>
    </message>
    <message>
        <source>Call failed (%1)</source>
        <translation>Звонок не удался (%1)</translation>
    </message>
    <message>
        <source>Call failed</source>
        <translation>Звонок не удался</translation>
    </message>
    <message>
        <source>Calling…</source>
        <translation>Вызов…</translation>
    </message>
    <message>
        <source>Ringing: the other side plays audio (early media)</source>
        <translation>Идёт вызов: другая сторона передаёт звук (ранний медиапоток)</translation>
    </message>
    <message>
        <source>Ringing…</source>
        <translation>Идёт вызов…</translation>
    </message>
    <message>
        <source>Answered, connecting…</source>
        <translation>Ответили, соединение…</translation>
    </message>
    <message>
        <source>Answered</source>
        <translation>Ответили</translation>
    </message>
</context>
<context>
    <name>CallProgressBar</name>
    <message>
        <source>Redial</source>
        <translation>Повторить</translation>
    </message>
    <message>
        <source>Call the same number again</source>
        <translation>Позвонить на этот номер ещё раз</translation>
    </message>
    <message>
        <source>Call from another account</source>
        <translation>Позвонить с другой учётной записи</translation>
    </message>
    <message>
        <source>Dismiss (Esc)</source>
        <translation>Скрыть (Esc)</translation>
    </message>
    <message>
        <source>SIP status %1</source>
        <translation>Код SIP %1</translation>
    </message>
    <message>
        <source>%1 · from %2</source>
        <translation>%1 · с %2</translation>
    </message>
</context>
<context>
    <name>CallerCard</name>
    <message>
        <source>&amp;Answer</source>
        <translation>&amp;Ответить</translation>
    </message>
    <message>
        <source>Answer (Ctrl+Shift+A)</source>
        <translation>Ответить (Ctrl+Shift+A)</translation>
    </message>
    <message>
        <source>&amp;Decline</source>
        <translation>О&amp;тклонить</translation>
    </message>
    <message>
        <source>Decline (Ctrl+Shift+D)</source>
        <translation>Отклонить (Ctrl+Shift+D)</translation>
    </message>
    <message>
        <source>End current &amp;&amp; answer</source>
        <translation type="vanished">Завершить текущий и ответить</translation>
    </message>
    <message>
        <source>End &amp;&amp; answer</source>
        <translation>Завершить и ответить</translation>
    </message>
    <message>
        <source>Hang up the current call and take this one</source>
        <translation>Завершить текущий звонок и принять этот</translation>
    </message>
    <message>
        <source>Create contact</source>
        <translation>Создать контакт</translation>
    </message>
    <message>
        <source>Spam</source>
        <translation>Спам</translation>
    </message>
    <message>
        <source>Internal</source>
        <translation>Внутренний</translation>
    </message>
    <message>
        <source>Name</source>
        <translation>Имя</translation>
    </message>
    <message>
        <source>Company (optional)</source>
        <translation>Компания (необязательно)</translation>
    </message>
    <message>
        <source>Also create a deal</source>
        <translation>Создать и сделку</translation>
    </message>
    <message>
        <source>Deal title</source>
        <translation>Название сделки</translation>
    </message>
    <message>
        <source>Save contact</source>
        <translation>Сохранить контакт</translation>
    </message>
    <message>
        <source>…or add this number to a contact: search</source>
        <translation>…или добавьте номер к контакту: поиск</translation>
    </message>
    <message>
        <source>Call waiting</source>
        <translation>Второй звонок</translation>
    </message>
    <message>
        <source>Incoming call</source>
        <translation>Входящий звонок</translation>
    </message>
    <message>
        <source>Hold &amp;&amp; &amp;answer</source>
        <translation>Удержать и &amp;ответить</translation>
    </message>
    <message>
        <source>Hold the current call and answer this one (Ctrl+Shift+A)</source>
        <translation>Поставить текущий звонок на удержание и ответить на этот (Ctrl+Shift+A)</translation>
    </message>
    <message>
        <source>Hold current &amp;&amp; &amp;answer</source>
        <translation type="vanished">Удержать текущий и &amp;ответить</translation>
    </message>
    <message>
        <source>Looking up…</source>
        <translation>Поиск…</translation>
    </message>
    <message>
        <source>Marked as %1</source>
        <translation>Отмечен как %1</translation>
    </message>
    <message>
        <source>From the directory</source>
        <translation>Из справочника</translation>
    </message>
    <message>
        <source>People: %1</source>
        <translation>Люди: %1</translation>
    </message>
    <message>
        <source>Last call: %1, %2</source>
        <translation>Последний звонок: %1, %2</translation>
    </message>
    <message>
        <source>First call</source>
        <translation>Первый звонок</translation>
    </message>
    <message>
        <source>Task: %1</source>
        <translation>Задача: %1</translation>
    </message>
    <message>
        <source>Deal: %1 (%2)</source>
        <translation>Сделка: %1 (%2)</translation>
    </message>
    <message>
        <source>Deal with %1</source>
        <translation>Сделка с %1</translation>
    </message>
</context>
<context>
    <name>ChatCenter</name>
    <message>
        <source>✉ %1</source>
        <translation>✉ %1</translation>
    </message>
    <message>
        <source>Unread messages: %1 (latest from %2)</source>
        <translation>Непрочитанных сообщений: %1 (последнее от %2)</translation>
    </message>
    <message>
        <source>Unread messages: %1</source>
        <translation>Непрочитанных сообщений: %1</translation>
    </message>
    <message>
        <source>Message from %1</source>
        <translation>Сообщение от %1</translation>
    </message>
</context>
<context>
    <name>ChatPane</name>
    <message>
        <source>sending…</source>
        <translation>отправляется…</translation>
    </message>
    <message>
        <source>delivered</source>
        <translation>доставлено</translation>
    </message>
    <message>
        <source>not reachable: %1</source>
        <translation>недоступен: %1</translation>
    </message>
    <message>
        <source>not delivered (%1)</source>
        <translation>не доставлено (%1)</translation>
    </message>
    <message>
        <source>No messages yet.</source>
        <translation>Сообщений пока нет.</translation>
    </message>
    <message>
        <source>Write a message — Enter sends</source>
        <translation>Напишите сообщение — Enter отправляет</translation>
    </message>
    <message>
        <source>Send</source>
        <translation>Отправить</translation>
    </message>
    <message>
        <source>Not sent: %1</source>
        <extracomment>a message arrived: (who, text) for a notification</extracomment>
        <translation>Не отправлено: %1</translation>
    </message>
</context>
<context>
    <name>ChatWindow</name>
    <message>
        <source>Chat: %1</source>
        <translation>Чат: %1</translation>
    </message>
</context>
<context>
    <name>CodecOrderEditor</name>
    <message>
        <source>Up</source>
        <translation>Выше</translation>
    </message>
    <message>
        <source>Down</source>
        <translation>Ниже</translation>
    </message>
    <message>
        <source>Ticked codecs are offered first, top to bottom; the others follow, so a phone that has only those can still call</source>
        <translation>Отмеченные кодеки предлагаются первыми, сверху вниз; остальные следуют за ними, чтобы телефон, у которого есть только они, всё равно мог позвонить</translation>
    </message>
</context>
<context>
    <name>ColleaguesView</name>
    <message>
        <source>available</source>
        <translation>свободен</translation>
    </message>
    <message>
        <source>in a call</source>
        <translation>разговаривает</translation>
    </message>
    <message>
        <source>do not disturb</source>
        <translation>не беспокоить</translation>
    </message>
    <message>
        <source>No colleagues found on the network yet. Colleagues appear here when their softphone runs with a LAN account on the same network.</source>
        <extracomment>~250 ms after the first of a burst: the set of tables that changed (&quot;*&quot;: everything) why no colleagues can be listed: &quot;off&quot; (settings), &quot;no_lan&quot; (no LAN account), &quot;error&quot; (the detail says why); &quot;&quot; once presence runs</extracomment>
        <translation type="vanished">Коллеги в сети пока не найдены. Они появятся здесь, когда их софтфон запущен с локальной (LAN) учётной записью в той же сети.</translation>
    </message>
    <message>
        <source>away</source>
        <translation>отошёл</translation>
    </message>
    <message>
        <source>offline</source>
        <translation>не в сети</translation>
    </message>
    <message>
        <source>unknown</source>
        <translation>неизвестно</translation>
    </message>
    <message>
        <source>No colleagues found yet. Colleagues appear here when their softphone runs with a LAN account on the same network, or when an account lists them (colleagues in the settings, or contacts tagged “colleague”) and its server tells their presence.</source>
        <extracomment>~250 ms after the first of a burst: the set of tables that changed (&quot;*&quot;: everything) why no colleagues can be listed: &quot;off&quot; (settings), &quot;no_lan&quot; (no LAN account), &quot;error&quot; (the detail says why); &quot;&quot; once presence runs</extracomment>
        <translation>Коллеги пока не найдены. Коллеги появляются здесь, когда их софтфон работает с учётной записью локальной сети в той же сети или когда учётная запись их перечисляет (коллеги в настройках или контакты с меткой «коллега») и её сервер сообщает их присутствие.</translation>
    </message>
    <message>
        <source>Name</source>
        <translation>Имя</translation>
    </message>
    <message>
        <source>Extension</source>
        <translation>Номер</translation>
    </message>
    <message>
        <source>Address</source>
        <translation>Адрес</translation>
    </message>
    <message>
        <source>State</source>
        <translation>Статус</translation>
    </message>
    <message>
        <source>Call</source>
        <translation>Позвонить</translation>
    </message>
    <message>
        <source>Call the selected colleague</source>
        <translation>Позвонить выбранному коллеге</translation>
    </message>
    <message>
        <source>Message</source>
        <translation>Написать</translation>
    </message>
    <message>
        <source>Write to the selected colleague</source>
        <translation>Написать выбранному коллеге</translation>
    </message>
    <message>
        <source>Transfer</source>
        <translation>Перевести</translation>
    </message>
    <message>
        <source>Transfer the current call to the selected colleague</source>
        <translation>Перевести текущий звонок выбранному коллеге</translation>
    </message>
    <message>
        <source>Colleagues are not listed: presence is turned off in the settings ([office] presence).</source>
        <translation>Коллеги не показываются: присутствие выключено в настройках ([office] presence).</translation>
    </message>
    <message>
        <source>Colleagues on the network are listed for a LAN account (calls without a server); this phone has none. An account with a server lists the colleagues its settings name.</source>
        <translation>Коллеги в сети показываются для учётной записи локальной сети (звонки без сервера); у этого телефона её нет. Учётная запись с сервером показывает коллег, названных в её настройках.</translation>
    </message>
    <message>
        <source>Colleagues are listed for a LAN account (calls without a server); this phone has none.</source>
        <translation type="vanished">Коллеги показываются для локальной (LAN) учётной записи (звонки без сервера); у этого телефона её нет.</translation>
    </message>
    <message>
        <source>Colleagues cannot be found: %1</source>
        <translation>Не удаётся найти коллег: %1</translation>
    </message>
</context>
<context>
    <name>ContactCard</name>
    <message>
        <source>Edit</source>
        <extracomment>the chat pane asks to send: (contact, the number to write to, text)</extracomment>
        <translation>Изменить</translation>
    </message>
    <message>
        <source>Edit contact</source>
        <translation>Изменить контакт</translation>
    </message>
    <message>
        <source>No number to write to: add one to chat.</source>
        <translation>Нет номера для сообщений: добавьте номер, чтобы писать.</translation>
    </message>
    <message>
        <source>Call %1</source>
        <translation>Позвонить %1</translation>
    </message>
    <message>
        <source>Do not call</source>
        <translation>Не звонить</translation>
    </message>
    <message>
        <source>Open tasks</source>
        <translation>Открытые задачи</translation>
    </message>
    <message>
        <source>Done</source>
        <translation>Готово</translation>
    </message>
    <message>
        <source>Move</source>
        <translation>Перенести</translation>
    </message>
    <message>
        <source>Move to another time</source>
        <translation>Перенести на другое время</translation>
    </message>
    <message>
        <source>Delete</source>
        <translation>Удалить</translation>
    </message>
    <message>
        <source>Delete the task</source>
        <translation>Удалить задачу</translation>
    </message>
    <message>
        <source>None</source>
        <translation>Нет</translation>
    </message>
    <message>
        <source>Deals</source>
        <translation>Сделки</translation>
    </message>
    <message>
        <source>Calls and messages</source>
        <translation>Звонки и сообщения</translation>
    </message>
    <message>
        <source>Calls</source>
        <translation type="vanished">Звонки</translation>
    </message>
    <message>
        <source>▶ Recording</source>
        <translation>▶ Запись</translation>
    </message>
    <message>
        <source>No calls yet</source>
        <translation>Звонков пока нет</translation>
    </message>
    <message>
        <source>History</source>
        <translation>История</translation>
    </message>
    <message>
        <source>Changed here and on the contacts server; this desk had: %1</source>
        <translation>Изменён здесь и на сервере контактов; здесь было: %1</translation>
    </message>
    <message>
        <source>Deleted on the contacts server, kept here because it changed</source>
        <translation>Удалён на сервере контактов, сохранён здесь, потому что был изменён</translation>
    </message>
</context>
<context>
    <name>ContactDialog</name>
    <message>
        <source>New contact</source>
        <translation>Новый контакт</translation>
    </message>
    <message>
        <source>Edit contact</source>
        <translation>Изменить контакт</translation>
    </message>
    <message>
        <source>one per line: number, label</source>
        <translation>по одному в строке: номер, метка</translation>
    </message>
    <message>
        <source>Name</source>
        <translation>Имя</translation>
    </message>
    <message>
        <source>Company</source>
        <translation>Компания</translation>
    </message>
    <message>
        <source>Position</source>
        <translation>Должность</translation>
    </message>
    <message>
        <source>Phones</source>
        <translation>Телефоны</translation>
    </message>
    <message>
        <source>E-mails</source>
        <translation>Эл. почта</translation>
    </message>
    <message>
        <source>Tags</source>
        <translation>Метки</translation>
    </message>
    <message>
        <source>Notes</source>
        <translation>Заметки</translation>
    </message>
</context>
<context>
    <name>ContactsView</name>
    <message>
        <source>Search contacts</source>
        <translation>Поиск контактов</translation>
    </message>
    <message>
        <source>New contact</source>
        <translation>Новый контакт</translation>
    </message>
    <message>
        <source>This contact was changed by someone else meanwhile. Your changes were not saved: the contact now shows their version; edit it again to apply yours.</source>
        <translation>Тем временем этот контакт изменил кто-то другой. Ваши изменения не сохранены: сейчас показана его версия контакта; откройте редактирование снова, чтобы внести свои.</translation>
    </message>
    <message>
        <source>Contact not saved</source>
        <translation>Контакт не сохранён</translation>
    </message>
</context>
<context>
    <name>DbWorker</name>
    <message>
        <source>The contact database is not open.</source>
        <translation>База контактов не открыта.</translation>
    </message>
</context>
<context>
    <name>DialPad</name>
    <message>
        <source>Delete the last character</source>
        <extracomment>(key, object name) row by row</extracomment>
        <translation>Удалить последний символ</translation>
    </message>
    <message>
        <source>Call</source>
        <translation>Позвонить</translation>
    </message>
    <message>
        <source>Call the number above (Enter)</source>
        <translation>Позвонить на набранный номер (Enter)</translation>
    </message>
    <message>
        <source>Redial</source>
        <translation>Повторить</translation>
    </message>
    <message>
        <source>Call the last number again (Ctrl+R)</source>
        <translation>Позвонить на последний номер ещё раз (Ctrl+R)</translation>
    </message>
</context>
<context>
    <name>EngineMessages</name>
    <message>
        <source>%1 is back and will be used.</source>
        <translation>%1 снова доступно и будет использоваться.</translation>
    </message>
    <message>
        <source>The call goes on with %1.</source>
        <translation>Звонок продолжается через %1.</translation>
    </message>
    <message>
        <source>%1 is not available: the default device is used.</source>
        <translation>%1 недоступно: используется устройство по умолчанию.</translation>
    </message>
    <message>
        <source>The JACK sound server stopped.</source>
        <translation>Звуковой сервер JACK остановился.</translation>
    </message>
    <message>
        <source>%1 cannot be opened: check that it is plugged in and not used by another program.</source>
        <translation>Не удаётся открыть %1: проверьте, что устройство подключено и не занято другой программой.</translation>
    </message>
    <message>
        <source>The sound device %1 stopped working.</source>
        <translation>Звуковое устройство %1 перестало работать.</translation>
    </message>
    <message>
        <source>Sound is switched off (SOFTPHONE_NO_PORTAUDIO=1).</source>
        <translation>Звук выключен (SOFTPHONE_NO_PORTAUDIO=1).</translation>
    </message>
    <message>
        <source>No sound: the PortAudio library is missing. Install it (Debian/Ubuntu: sudo apt install libportaudio2) and restart Softphone.</source>
        <translation>Нет звука: не установлена библиотека PortAudio. Установите её (Debian/Ubuntu: sudo apt install libportaudio2) и перезапустите Softphone.</translation>
    </message>
    <message>
        <source>No sound: a part of Softphone is missing (sounddevice). Install Softphone again.</source>
        <translation>Нет звука: не хватает части Softphone (sounddevice). Установите Softphone заново.</translation>
    </message>
    <message>
        <source>No sound device was found: calls connect but you will hear nothing. Plug in a headset, or check that the sound system (PulseAudio, PipeWire) runs.</source>
        <translation>Звуковое устройство не найдено: звонки соединяются, но ничего не слышно. Подключите гарнитуру или проверьте, что звуковая система (PulseAudio, PipeWire) работает.</translation>
    </message>
    <message>
        <source>The JACK sound server stopped: the call goes on without sound. Start JACK and restart Softphone.</source>
        <translation>Звуковой сервер JACK остановился: звонок продолжается без звука. Запустите JACK и перезапустите Softphone.</translation>
    </message>
    <message>
        <source>No sound device is left: the call goes on without sound.</source>
        <translation>Звуковых устройств не осталось: звонок продолжается без звука.</translation>
    </message>
    <message>
        <source>A sound problem: the call goes on without sound (the details are in the log).</source>
        <translation>Проблема со звуком: звонок продолжается без звука (подробности в журнале).</translation>
    </message>
    <message>
        <source>The other side does not support encrypted calls</source>
        <translation>Другая сторона не поддерживает шифрованные звонки</translation>
    </message>
    <message>
        <source>A call was refused: the caller does not support encrypted calls</source>
        <translation>Звонок отклонён: звонящий не поддерживает шифрованные звонки</translation>
    </message>
    <message>
        <source>The call could not be forwarded (the details are in the log).</source>
        <translation>Не удалось переадресовать звонок (подробности в журнале).</translation>
    </message>
    <message>
        <source>The call could not be made (the details are in the log).</source>
        <translation>Не удалось позвонить (подробности в журнале).</translation>
    </message>
    <message>
        <source>The call&apos;s sound could not be set up (the details are in the log).</source>
        <translation>Не удалось настроить звук звонка (подробности в журнале).</translation>
    </message>
    <message>
        <source>An account could not be set up (the details are in the log).</source>
        <translation>Не удалось настроить учётную запись (подробности в журнале).</translation>
    </message>
    <message>
        <source>The phone could not do that (the details are in the log).</source>
        <translation>Телефон не смог это сделать (подробности в журнале).</translation>
    </message>
</context>
<context>
    <name>FirstStartPage</name>
    <message>
        <source>Connect your phone</source>
        <translation>Подключите телефон</translation>
    </message>
    <message>
        <source>Enter the SIP account your provider or office PBX gave you.</source>
        <translation>Введите SIP-учётную запись, которую выдал провайдер или офисная АТС.</translation>
    </message>
    <message>
        <source>pbx.example.com or sip.provider.net:5060</source>
        <translation>pbx.example.com или sip.provider.net:5060</translation>
    </message>
    <message>
        <source>extension or login, e.g. 1001</source>
        <translation>внутренний номер или логин, например 1001</translation>
    </message>
    <message>
        <source>&amp;Server</source>
        <translation>&amp;Сервер</translation>
    </message>
    <message>
        <source>&amp;User</source>
        <translation>&amp;Пользователь</translation>
    </message>
    <message>
        <source>&amp;Password</source>
        <translation>П&amp;ароль</translation>
    </message>
    <message>
        <source>&amp;Transport</source>
        <translation>&amp;Транспорт</translation>
    </message>
    <message>
        <source>Test</source>
        <translation>Проверить</translation>
    </message>
    <message>
        <source>Register once with these settings</source>
        <translation>Один раз зарегистрироваться с этими настройками</translation>
    </message>
    <message>
        <source>Save and connect</source>
        <translation>Сохранить и подключить</translation>
    </message>
    <message>
        <source>Save the account and register</source>
        <translation>Сохранить учётную запись и зарегистрироваться</translation>
    </message>
    <message>
        <source>No server?</source>
        <translation>Нет сервера?</translation>
    </message>
    <message>
        <source>Just call colleagues on this network</source>
        <translation>Просто звонить коллегам в этой сети</translation>
    </message>
    <message>
        <source>No account needed: the phone calls other softphones and SIP phones on your local network directly.</source>
        <translation>Учётная запись не нужна: телефон звонит другим софтфонам и SIP-телефонам в вашей локальной сети напрямую.</translation>
    </message>
    <message>
        <source>Skip</source>
        <translation>Пропустить</translation>
    </message>
    <message>
        <source>Decide later: Settings &gt; Accounts</source>
        <translation>Решить позже: Настройки &gt; Учётные записи</translation>
    </message>
    <message>
        <source>The server is a host name or address, with a port if needed: pbx.example.com or 192.0.2.10:5060.</source>
        <translation>Сервер — это имя или адрес узла, при необходимости с портом: pbx.example.com или 192.0.2.10:5060.</translation>
    </message>
    <message>
        <source>The user is the extension or login your provider gave you, without spaces or @.</source>
        <translation>Пользователь — это внутренний номер или логин от провайдера, без пробелов и @.</translation>
    </message>
    <message>
        <source>Testing…</source>
        <translation>Проверка…</translation>
    </message>
    <message>
        <source>Enter the password (it is kept in the system keyring).</source>
        <translation>Введите пароль (он хранится в системном хранилище паролей).</translation>
    </message>
</context>
<context>
    <name>HistoryView</name>
    <message>
        <source>All calls</source>
        <translation>Все звонки</translation>
    </message>
    <message>
        <source>Missed</source>
        <translation>Пропущенные</translation>
    </message>
    <message>
        <source>Incoming</source>
        <translation>Входящие</translation>
    </message>
    <message>
        <source>Outgoing</source>
        <translation>Исходящие</translation>
    </message>
    <message>
        <source>Search name, number, note</source>
        <translation>Поиск по имени, номеру, заметке</translation>
    </message>
    <message>
        <source>Call back</source>
        <translation>Перезвонить</translation>
    </message>
    <message>
        <source>Call the selected number</source>
        <translation>Позвонить на выбранный номер</translation>
    </message>
    <message>
        <source>Edit wrap-up</source>
        <translation>Изменить итог звонка</translation>
    </message>
    <message>
        <source>Play recording</source>
        <translation>Прослушать запись</translation>
    </message>
    <message>
        <source>When</source>
        <translation>Когда</translation>
    </message>
    <message>
        <source>Who</source>
        <translation>Кто</translation>
    </message>
    <message>
        <source>Number</source>
        <translation>Номер</translation>
    </message>
    <message>
        <source>Direction</source>
        <translation>Направление</translation>
    </message>
    <message>
        <source>Outcome</source>
        <translation>Результат</translation>
    </message>
    <message>
        <source>Talk / note</source>
        <translation>Разговор / заметка</translation>
    </message>
    <message>
        <source>in</source>
        <translation>вх.</translation>
    </message>
    <message>
        <source>out</source>
        <translation>исх.</translation>
    </message>
</context>
<context>
    <name>ImportDialog</name>
    <message>
        <source>comma (,)</source>
        <translation>запятая (,)</translation>
    </message>
    <message>
        <source>semicolon (;)</source>
        <translation>точка с запятой (;)</translation>
    </message>
    <message>
        <source>tab</source>
        <translation>табуляция</translation>
    </message>
    <message>
        <source>bar (|)</source>
        <translation>черта (|)</translation>
    </message>
    <message>
        <source>Full name</source>
        <translation>Полное имя</translation>
    </message>
    <message>
        <source>First name</source>
        <translation>Имя</translation>
    </message>
    <message>
        <source>Middle name</source>
        <translation>Отчество</translation>
    </message>
    <message>
        <source>Last name</source>
        <translation>Фамилия</translation>
    </message>
    <message>
        <source>Company</source>
        <translation>Компания</translation>
    </message>
    <message>
        <source>Position</source>
        <translation>Должность</translation>
    </message>
    <message>
        <source>Phone (mobile)</source>
        <translation>Телефон (мобильный)</translation>
    </message>
    <message>
        <source>Phone (work)</source>
        <translation>Телефон (рабочий)</translation>
    </message>
    <message>
        <source>Phone (home)</source>
        <translation>Телефон (домашний)</translation>
    </message>
    <message>
        <source>Phone (fax)</source>
        <translation>Телефон (факс)</translation>
    </message>
    <message>
        <source>Phone (other)</source>
        <translation>Телефон (другой)</translation>
    </message>
    <message>
        <source>Label of the phone before</source>
        <translation>Тип телефона слева</translation>
    </message>
    <message>
        <source>E-mail</source>
        <translation>Эл. почта</translation>
    </message>
    <message>
        <source>Tags</source>
        <translation>Метки</translation>
    </message>
    <message>
        <source>Notes</source>
        <translation>Заметки</translation>
    </message>
    <message>
        <source>Do not call</source>
        <translation>Не звонить</translation>
    </message>
    <message>
        <source>Keep in the notes</source>
        <translation>Сохранить в заметках</translation>
    </message>
    <message>
        <source>Ignore</source>
        <translation>Не загружать</translation>
    </message>
    <message>
        <source>Name</source>
        <translation>Имя</translation>
    </message>
    <message>
        <source>Phones</source>
        <translation>Телефоны</translation>
    </message>
    <message>
        <source>E-mails</source>
        <translation>Эл. почта</translation>
    </message>
    <message>
        <source>Contacts (*.csv *.vcf *.vcard *.txt)</source>
        <translation>Контакты (*.csv *.vcf *.vcard *.txt)</translation>
    </message>
    <message>
        <source>Import contacts</source>
        <translation>Импорт контактов</translation>
    </message>
    <message>
        <source>Format</source>
        <translation>Формат</translation>
    </message>
    <message>
        <source>&amp;Encoding</source>
        <translation>&amp;Кодировка</translation>
    </message>
    <message>
        <source>&amp;Delimiter</source>
        <translation>&amp;Разделитель</translation>
    </message>
    <message>
        <source>The first rows, and what each column is taken for (choose another field above a column to change it):</source>
        <translation>Первые строки и что берётся из каждого столбца (чтобы изменить, выберите другое поле над столбцом):</translation>
    </message>
    <message>
        <source>Import</source>
        <translation>Импортировать</translation>
    </message>
    <message>
        <source>Import the whole file (Enter)</source>
        <translation>Импортировать весь файл (Enter)</translation>
    </message>
    <message>
        <source>Cancel</source>
        <translation>Отмена</translation>
    </message>
    <message>
        <source>Close without importing (Esc)</source>
        <translation>Закрыть без импорта (Esc)</translation>
    </message>
    <message>
        <source>Reading…</source>
        <translation>Чтение…</translation>
    </message>
    <message>
        <source>Field</source>
        <translation>Поле</translation>
    </message>
    <message>
        <source>Two columns are taken for “%1”: choose another field for one of them.</source>
        <translation>Два столбца выбраны для «%1»: выберите другое поле для одного из них.</translation>
    </message>
    <message>
        <source>Choose a column for the phone number or the e-mail: a contact needs one of them.</source>
        <translation>Выберите столбец с номером телефона или эл. почтой: у контакта должно быть одно из них.</translation>
    </message>
    <message>
        <source>Importing…</source>
        <translation>Импорт…</translation>
    </message>
    <message>
        <source>Stop after the rows being written (Esc)</source>
        <translation>Остановить после записываемых строк (Esc)</translation>
    </message>
    <message>
        <source>Reading %1…</source>
        <translation>Чтение %1…</translation>
    </message>
    <message>
        <source>Importing: %1 of %2 contacts</source>
        <translation>Импорт: %1 из %2 контактов</translation>
    </message>
    <message>
        <source>Stopping after the rows being written…</source>
        <translation>Остановка после записываемых строк…</translation>
    </message>
    <message>
        <source>Nothing was imported: %1</source>
        <translation>Ничего не импортировано: %1</translation>
    </message>
    <message>
        <source>Skipped rows</source>
        <translation>Пропущенные строки</translation>
    </message>
    <message>
        <source>Row</source>
        <translation>Строка</translation>
    </message>
    <message>
        <source>Reason</source>
        <translation>Причина</translation>
    </message>
    <message>
        <source>Text</source>
        <translation>Текст</translation>
    </message>
    <message>
        <source>Save skipped rows…</source>
        <translation>Сохранить пропущенные строки…</translation>
    </message>
    <message>
        <source>Save the skipped rows as a file to fix and import again</source>
        <translation>Сохранить пропущенные строки в файл, чтобы исправить и импортировать снова</translation>
    </message>
    <message>
        <source>Close</source>
        <translation>Закрыть</translation>
    </message>
    <message>
        <source>Created %1, merged into existing contacts %2, skipped %3.</source>
        <translation>Создано: %1, объединено с существующими: %2, пропущено: %3.</translation>
    </message>
    <message>
        <source>Cancelled after %1 of %2 contacts; the rest was not imported.</source>
        <translation>Отменено после %1 из %2 контактов; остальное не импортировано.</translation>
    </message>
    <message>
        <source>Card</source>
        <translation>Карточка</translation>
    </message>
    <message>
        <source>Save skipped rows</source>
        <translation>Сохранение пропущенных строк</translation>
    </message>
    <message>
        <source>%1 skipped rows saved to %2</source>
        <translation>Пропущенные строки (%1) сохранены в %2</translation>
    </message>
    <message>
        <source>Not saved: %1</source>
        <translation>Не сохранено: %1</translation>
    </message>
    <message>
        <source>All files (*)</source>
        <translation>Все файлы (*)</translation>
    </message>
    <message>
        <source>Export all contacts</source>
        <translation>Экспорт всех контактов</translation>
    </message>
    <message>
        <source>Export %1 selected contacts</source>
        <translation>Экспорт выбранных контактов: %1</translation>
    </message>
    <message>
        <source>CSV (*.csv)</source>
        <translation>CSV-файл (*.csv)</translation>
    </message>
    <message>
        <source>vCard (*.vcf)</source>
        <translation>Файл vCard (*.vcf)</translation>
    </message>
    <message>
        <source>Exporting contacts to %1…</source>
        <translation>Экспорт контактов в %1…</translation>
    </message>
    <message>
        <source>%1 contacts exported to %2</source>
        <translation>Экспортировано контактов: %1, файл %2</translation>
    </message>
    <message>
        <source>Export failed: %1</source>
        <translation>Экспорт не удался: %1</translation>
    </message>
</context>
<context>
    <name>IntegrationsLink</name>
    <message>
        <source>The phone did not answer in time.</source>
        <translation>Телефон не ответил вовремя.</translation>
    </message>
    <message>
        <source>calling %1</source>
        <translation>звоним на %1</translation>
    </message>
    <message>
        <source>cannot dial now</source>
        <translation>сейчас позвонить нельзя</translation>
    </message>
    <message>
        <source>Contacts synced: %1 new, %2 changed, %3 deleted here; %4 sent to the server</source>
        <translation>Контакты синхронизированы: здесь %1 новых, %2 изменено, %3 удалено; на сервер отправлено: %4</translation>
    </message>
    <message>
        <source>%1 conflict(s) merged (see the contacts&apos; history)</source>
        <translation>объединено конфликтов: %1 (см. историю контактов)</translation>
    </message>
    <message>
        <source>Contacts not synced: %1</source>
        <translation>Контакты не синхронизированы: %1</translation>
    </message>
    <message>
        <source>Not started: %1</source>
        <translation>Не запущено: %1</translation>
    </message>
    <message>
        <source>Webhooks</source>
        <translation>Веб-хуки</translation>
    </message>
    <message>
        <source>%1: not delivered (%2); %3 event(s) wait and will be sent again</source>
        <translation>%1: не доставлено (%2); событий в очереди: %3, они будут отправлены повторно</translation>
    </message>
    <message>
        <source>%1: delivering again</source>
        <translation>%1: доставка возобновлена</translation>
    </message>
</context>
<context>
    <name>MainWindow</name>
    <message>
        <source>Softphone</source>
        <extracomment>the settings dialog was accepted: (settings, passwords)</extracomment>
        <translation>Softphone</translation>
    </message>
    <message>
        <source>Number, SIP address or name — Enter calls</source>
        <translation>Номер, SIP-адрес или имя — Enter для звонка</translation>
    </message>
    <message>
        <source>Call</source>
        <translation>Позвонить</translation>
    </message>
    <message>
        <source>Phone</source>
        <translation>Телефон</translation>
    </message>
    <message>
        <source>Contacts</source>
        <translation>Контакты</translation>
    </message>
    <message>
        <source>History</source>
        <translation>История</translation>
    </message>
    <message>
        <source>Missed</source>
        <translation>Пропущенные</translation>
    </message>
    <message>
        <source>Tasks</source>
        <translation>Задачи</translation>
    </message>
    <message>
        <source>Statistics</source>
        <translation>Статистика</translation>
    </message>
    <message>
        <source>Colleagues</source>
        <translation>Коллеги</translation>
    </message>
    <message>
        <source>Answer</source>
        <translation>Ответить</translation>
    </message>
    <message>
        <source>Decline</source>
        <translation>Отклонить</translation>
    </message>
    <message>
        <source>Focus the dial field</source>
        <translation>Перейти к полю набора</translation>
    </message>
    <message>
        <source>Settings</source>
        <translation>Настройки</translation>
    </message>
    <message>
        <source>Quit</source>
        <translation>Выход</translation>
    </message>
    <message>
        <source>Do not disturb</source>
        <translation>Не беспокоить</translation>
    </message>
    <message>
        <source>Settings (Ctrl+,)</source>
        <translation>Настройки (Ctrl+,)</translation>
    </message>
    <message>
        <source>Colleagues (%1)</source>
        <translation>Коллеги (%1)</translation>
    </message>
    <message>
        <source>Settings…</source>
        <translation>Настройки…</translation>
    </message>
    <message>
        <source>No call to transfer.</source>
        <translation>Нет звонка для перевода.</translation>
    </message>
    <message>
        <source>Listening on %1.</source>
        <translation>Ожидание звонков на %1.</translation>
    </message>
    <message>
        <source>Call from %1 forwarded to %2</source>
        <translation>Звонок от %1 переадресован на %2</translation>
    </message>
    <message>
        <source>Transfer done</source>
        <translation>Перевод выполнен</translation>
    </message>
    <message>
        <source>Transfer failed (%1)</source>
        <translation>Перевод не удался (%1)</translation>
    </message>
    <message>
        <source>%1: registered</source>
        <translation>%1: зарегистрирован</translation>
    </message>
    <message>
        <source>%1: ready (LAN)</source>
        <translation>%1: готов (локальная сеть)</translation>
    </message>
    <message>
        <source>%1: failed (%2)</source>
        <translation>%1: ошибка (%2)</translation>
    </message>
    <message>
        <source>%1: registering…</source>
        <translation>%1: регистрация…</translation>
    </message>
    <message>
        <source>%1: offline</source>
        <translation>%1: не в сети</translation>
    </message>
    <message>
        <source>Incoming call: %1</source>
        <translation>Входящий звонок: %1</translation>
    </message>
    <message>
        <source>In call: %1</source>
        <translation>Разговор: %1</translation>
    </message>
    <message>
        <source>Do not disturb is on</source>
        <translation>Режим «Не беспокоить» включён</translation>
    </message>
    <message>
        <source>Missed calls: %1</source>
        <translation>Пропущенные звонки: %1</translation>
    </message>
    <message>
        <source>Missed call</source>
        <translation>Пропущенный звонок</translation>
    </message>
    <message>
        <source>Call from %1 refused: %2</source>
        <translation>Звонок от %1 отклонён: %2</translation>
    </message>
    <message>
        <source>Call waiting</source>
        <translation>Второй звонок</translation>
    </message>
    <message>
        <source>Incoming call</source>
        <translation>Входящий звонок</translation>
    </message>
    <message>
        <source>Finish the call first.</source>
        <translation>Сначала завершите звонок.</translation>
    </message>
    <message>
        <source>Calling %1 as soon as the phone is ready…</source>
        <translation>Звонок на %1 начнётся, как только телефон будет готов…</translation>
    </message>
    <message>
        <source>Missed (%1)</source>
        <translation>Пропущенные (%1)</translation>
    </message>
    <message>
        <source>Task due: %1</source>
        <translation type="vanished">Срок задачи: %1</translation>
    </message>
    <message>
        <source>Task due: %1 %2</source>
        <translation type="vanished">Срок задачи: %1 %2</translation>
    </message>
    <message>
        <source>Do not disturb is on: calls are declined</source>
        <translation>Режим «Не беспокоить» включён: звонки отклоняются</translation>
    </message>
    <message>
        <source>Do not disturb is off</source>
        <translation>Режим «Не беспокоить» выключен</translation>
    </message>
    <message>
        <source>The new settings for %1 apply when Softphone starts again.</source>
        <translation>Новые настройки %1 вступят в силу после перезапуска Softphone.</translation>
    </message>
    <message>
        <source>Restarting now ends the calls in progress.</source>
        <translation>Перезапуск сейчас завершит текущие звонки.</translation>
    </message>
    <message>
        <source>Restart Softphone?</source>
        <translation>Перезапустить Softphone?</translation>
    </message>
    <message>
        <source>Restart now</source>
        <translation>Перезапустить</translation>
    </message>
    <message>
        <source>Later</source>
        <translation>Позже</translation>
    </message>
    <message>
        <source>The recording file is missing: %1</source>
        <translation type="vanished">Файл записи не найден: %1</translation>
    </message>
    <message>
        <source>Press OK: the account registers at once and the status bar shows the result.</source>
        <translation type="vanished">Нажмите OK: учётная запись сразу зарегистрируется, результат будет в строке состояния.</translation>
    </message>
</context>
<context>
    <name>Match</name>
    <message>
        <source>matched by the full number</source>
        <translation>совпадение по полному номеру</translation>
    </message>
    <message>
        <source>matched by the national number</source>
        <translation>совпадение по номеру без кода страны</translation>
    </message>
    <message>
        <source>matched by the last digits of the number</source>
        <translation>совпадение по последним цифрам номера</translation>
    </message>
    <message>
        <source>a company number</source>
        <translation>номер компании</translation>
    </message>
    <message>
        <source>the contact you called</source>
        <translation>контакт, которому вы звонили</translation>
    </message>
    <message>
        <source>the number is withheld</source>
        <translation>номер скрыт</translation>
    </message>
    <message>
        <source>a short or service number</source>
        <translation>короткий или служебный номер</translation>
    </message>
    <message>
        <source>on the ignore list</source>
        <translation>в списке игнорируемых</translation>
    </message>
    <message>
        <source>not in your contacts</source>
        <translation>нет в ваших контактах</translation>
    </message>
</context>
<context>
    <name>Menus</name>
    <message>
        <source>&amp;Phone</source>
        <translation>&amp;Телефон</translation>
    </message>
    <message>
        <source>&amp;Contacts</source>
        <translation>&amp;Контакты</translation>
    </message>
    <message>
        <source>Select contacts in the list first (Ctrl+click, Shift+click, Ctrl+A).</source>
        <translation>Сначала выберите контакты в списке (Ctrl+щелчок, Shift+щелчок, Ctrl+A).</translation>
    </message>
    <message>
        <source>&amp;Import…</source>
        <translation>&amp;Импорт…</translation>
    </message>
    <message>
        <source>&amp;Export all…</source>
        <translation>&amp;Экспорт всех…</translation>
    </message>
    <message>
        <source>Export &amp;selected…</source>
        <translation>Экспорт &amp;выбранных…</translation>
    </message>
    <message>
        <source>&amp;New contact</source>
        <translation>&amp;Новый контакт</translation>
    </message>
    <message>
        <source>&amp;View</source>
        <translation>&amp;Вид</translation>
    </message>
    <message>
        <source>&amp;Help</source>
        <translation>&amp;Справка</translation>
    </message>
    <message>
        <source>&amp;Keyboard shortcuts</source>
        <translation>&amp;Сочетания клавиш</translation>
    </message>
    <message>
        <source>&amp;About Softphone</source>
        <translation>&amp;О программе Softphone</translation>
    </message>
    <message>
        <source>Keyboard shortcuts</source>
        <translation>Сочетания клавиш</translation>
    </message>
    <message>
        <source>Buttons show their keys in their tooltips. In a call: Ctrl+Shift+H hang up, Ctrl+Shift+L hold, Ctrl+Shift+M mute, Ctrl+Shift+K keypad, Ctrl+Shift+T transfer.</source>
        <translation>Клавиши кнопок показаны в их подсказках. Во время звонка: Ctrl+Shift+H — завершить, Ctrl+Shift+L — удержание, Ctrl+Shift+M — выключить микрофон, Ctrl+Shift+K — клавиатура, Ctrl+Shift+T — перевод.</translation>
    </message>
    <message>
        <source>About Softphone</source>
        <translation>О программе Softphone</translation>
    </message>
    <message>
        <source>Softphone %1: a SIP phone with a contact book for people who call customers all day.</source>
        <translation>Softphone %1: SIP-телефон с книгой контактов для тех, кто весь день звонит клиентам.</translation>
    </message>
</context>
<context>
    <name>MissedInbox</name>
    <message>
        <source>No missed calls. Nice.</source>
        <translation>Пропущенных звонков нет. Отлично.</translation>
    </message>
    <message>
        <source>Who</source>
        <translation>Кто</translation>
    </message>
    <message>
        <source>Number</source>
        <translation>Номер</translation>
    </message>
    <message>
        <source>Calls</source>
        <translation>Звонки</translation>
    </message>
    <message>
        <source>Last call</source>
        <translation>Последний звонок</translation>
    </message>
    <message>
        <source>Call back</source>
        <translation>Перезвонить</translation>
    </message>
</context>
<context>
    <name>Outcome</name>
    <message>
        <source>answered</source>
        <translation>отвечен</translation>
    </message>
    <message>
        <source>missed</source>
        <translation>пропущен</translation>
    </message>
    <message>
        <source>declined</source>
        <translation>отклонён</translation>
    </message>
    <message>
        <source>busy</source>
        <translation>занято</translation>
    </message>
    <message>
        <source>no answer</source>
        <translation>нет ответа</translation>
    </message>
    <message>
        <source>failed</source>
        <translation>ошибка</translation>
    </message>
    <message>
        <source>interrupted</source>
        <translation>прерван</translation>
    </message>
    <message>
        <source>the other side does not support encrypted calls</source>
        <translation>другая сторона не поддерживает шифрованные звонки</translation>
    </message>
    <message>
        <source>no common codec: the caller offered %1</source>
        <translation>нет общего кодека: звонящий предложил %1</translation>
    </message>
    <message>
        <source>no common codec</source>
        <translation>нет общего кодека</translation>
    </message>
    <message>
        <source>Interested</source>
        <extracomment>the default wrap-up outcomes ([calls] outcomes): stored as written, shown translated</extracomment>
        <translation>Интересно</translation>
    </message>
    <message>
        <source>Not interested</source>
        <translation>Не интересно</translation>
    </message>
    <message>
        <source>Call back</source>
        <translation>Перезвонить</translation>
    </message>
    <message>
        <source>Wrong number</source>
        <translation>Не тот номер</translation>
    </message>
    <message>
        <source>Voicemail</source>
        <translation>Автоответчик</translation>
    </message>
    <message>
        <source>Resolved</source>
        <translation>Решено</translation>
    </message>
</context>
<context>
    <name>OutgoingCalls</name>
    <message>
        <source>Redial</source>
        <translation>Повторить набор</translation>
    </message>
    <message>
        <source>Redial (Ctrl+R)</source>
        <translation>Повторить набор (Ctrl+R)</translation>
    </message>
    <message>
        <source>Finish the call first.</source>
        <translation>Сначала завершите звонок.</translation>
    </message>
</context>
<context>
    <name>Phone</name>
    <message>
        <source>“%1” cannot be dialled from an account without a server: type user@host or sip:user@host.</source>
        <translation>«%1» нельзя набрать с учётной записи без сервера: введите user@host или sip:user@host.</translation>
    </message>
    <message>
        <source>“%1”: the port must be between 1 and 65535.</source>
        <translation>«%1»: порт должен быть от 1 до 65535.</translation>
    </message>
    <message>
        <source>Type a number or an address to call.</source>
        <translation>Введите номер или адрес для звонка.</translation>
    </message>
    <message>
        <source>“%1” is not a phone number or a SIP address: type a number, user@host or sip:user@host. Nothing was sent.</source>
        <translation>«%1» — не номер телефона и не SIP-адрес: введите номер, user@host или sip:user@host. Ничего не отправлено.</translation>
    </message>
    <message>
        <source>The phone is not running.</source>
        <extracomment>what each outgoing call dialled, as typed (a redial from another account needs the number, not the URI made for the first account): call id -&gt; (target, contact id) which account a call to a contact (or None) goes out from; None: the default</extracomment>
        <translation>Телефон не запущен.</translation>
    </message>
    <message>
        <source>%1 failed: %2</source>
        <translation>%1: ошибка: %2</translation>
    </message>
    <message>
        <source>Hold</source>
        <translation>Удержать</translation>
    </message>
    <message>
        <source>Cannot call: %1</source>
        <translation>Не удалось позвонить: %1</translation>
    </message>
    <message>
        <source>Nothing to redial yet.</source>
        <translation>Пока нечего набирать повторно.</translation>
    </message>
    <message>
        <source>Answer</source>
        <translation>Ответить</translation>
    </message>
    <message>
        <source>Decline</source>
        <translation>Отклонить</translation>
    </message>
    <message>
        <source>Hang up</source>
        <translation>Положить трубку</translation>
    </message>
    <message>
        <source>Mute</source>
        <translation>Без звука</translation>
    </message>
    <message>
        <source>Keypad</source>
        <translation>Клавиатура</translation>
    </message>
    <message>
        <source>Transfer</source>
        <translation>Перевести</translation>
    </message>
    <message>
        <source>Transferring to %1…</source>
        <translation>Перевод на %1…</translation>
    </message>
    <message>
        <source>Conference</source>
        <translation>Конференция</translation>
    </message>
    <message>
        <source>Recording</source>
        <translation>Запись</translation>
    </message>
    <message>
        <source>Resume</source>
        <translation>Продолжить</translation>
    </message>
    <message>
        <source>Sound device</source>
        <translation>Звуковое устройство</translation>
    </message>
</context>
<context>
    <name>PhoneLabel</name>
    <message>
        <source>work</source>
        <extracomment>phone labels the readers and the dialogs write; others are shown as typed</extracomment>
        <translation>рабочий</translation>
    </message>
    <message>
        <source>mobile</source>
        <translation>мобильный</translation>
    </message>
    <message>
        <source>home</source>
        <translation>домашний</translation>
    </message>
    <message>
        <source>fax</source>
        <translation>факс</translation>
    </message>
    <message>
        <source>other</source>
        <translation>другой</translation>
    </message>
    <message>
        <source>main</source>
        <translation>основной</translation>
    </message>
</context>
<context>
    <name>QFileDialog</name>
    <message>
        <source>&amp;Look in:</source>
        <translation>&amp;Папка:</translation>
    </message>
    <message>
        <source>Files of &amp;type:</source>
        <translation>&amp;Тип файлов:</translation>
    </message>
</context>
<context>
    <name>RecordingPlayer</name>
    <message>
        <source>Recording</source>
        <translation>Запись</translation>
    </message>
    <message>
        <source>▶ Play</source>
        <translation>▶ Играть</translation>
    </message>
    <message>
        <source>❚❚ Pause</source>
        <translation>❚❚ Пауза</translation>
    </message>
    <message>
        <source>■ Stop</source>
        <translation>■ Стоп</translation>
    </message>
    <message>
        <source>Open in system player</source>
        <translation>Открыть в системном проигрывателе</translation>
    </message>
    <message>
        <source>Loading…</source>
        <translation>Загрузка…</translation>
    </message>
    <message>
        <source>The recording file is missing: %1</source>
        <translation>Файл записи не найден: %1</translation>
    </message>
    <message>
        <source>The recording is empty: %1</source>
        <translation>Запись пуста: %1</translation>
    </message>
    <message>
        <source>This file is not a recording the phone can play (%1). Try the system player.</source>
        <translation>Телефон не может воспроизвести этот файл (%1). Попробуйте системный проигрыватель.</translation>
    </message>
    <message>
        <source>The recording cannot be read: %1</source>
        <translation>Не удаётся прочитать запись: %1</translation>
    </message>
    <message>
        <source>The phone has no sound output to play this on. %1</source>
        <translation>У телефона нет звукового выхода, чтобы это воспроизвести. %1</translation>
    </message>
    <message>
        <source>Use the system player instead.</source>
        <translation>Воспользуйтесь системным проигрывателем.</translation>
    </message>
    <message>
        <source>The sound device does not play (see the status bar). Use the system player instead.</source>
        <translation>Звуковое устройство не воспроизводит звук (см. строку состояния). Воспользуйтесь системным проигрывателем.</translation>
    </message>
</context>
<context>
    <name>Reminder</name>
    <message>
        <source>Task due</source>
        <translation>Срок задачи</translation>
    </message>
    <message>
        <source>Call now</source>
        <translation>Позвонить сейчас</translation>
    </message>
    <message>
        <source>Later</source>
        <translation>Позже</translation>
    </message>
</context>
<context>
    <name>Reminders</name>
    <message>
        <source>Task due: %1</source>
        <translation>Пора выполнить задачу: %1</translation>
    </message>
    <message>
        <source>Open</source>
        <translation>Открыть</translation>
    </message>
    <message>
        <source>Call</source>
        <translation>Позвонить</translation>
    </message>
</context>
<context>
    <name>SettingsDialog</name>
    <message>
        <source>Settings</source>
        <extracomment>new settings, passwords {account name: password or None to delete}</extracomment>
        <translation>Настройки</translation>
    </message>
    <message>
        <source>Accounts</source>
        <translation>Учётные записи</translation>
    </message>
    <message>
        <source>Audio</source>
        <translation>Звук</translation>
    </message>
    <message>
        <source>CRM</source>
        <translation>CRM</translation>
    </message>
    <message>
        <source>Call handling</source>
        <translation>Обработка звонков</translation>
    </message>
    <message>
        <source>Language</source>
        <translation>Язык</translation>
    </message>
    <message>
        <source>Add</source>
        <translation>Добавить</translation>
    </message>
    <message>
        <source>Remove</source>
        <translation>Удалить</translation>
    </message>
    <message>
        <source>No account: the phone calls other phones on the local network directly. Add an account to use a PBX or a SIP provider.</source>
        <translation>Нет учётной записи: телефон звонит другим телефонам в локальной сети напрямую. Добавьте учётную запись, чтобы работать через АТС или SIP-провайдера.</translation>
    </message>
    <message>
        <source>sip:pbx.example.com (empty: LAN)</source>
        <translation>sip:pbx.example.com (пусто: локальная сеть)</translation>
    </message>
    <message>
        <source>*97 (what the Voicemail button dials)</source>
        <translation>*97 (что набирает кнопка «Голосовая почта»)</translation>
    </message>
    <message>
        <source>101, 102, sip:bob@pbx.example.com</source>
        <translation>101, 102, sip:bob@pbx.example.com</translation>
    </message>
    <message>
        <source>Colleagues whose presence the server tells (extensions or SIP addresses, separated by commas); your own state is published to them</source>
        <translation>Коллеги, чьё присутствие сообщает сервер (внутренние номера или SIP-адреса через запятую); им публикуется и ваше состояние</translation>
    </message>
    <message>
        <source>Enabled</source>
        <translation>Включена</translation>
    </message>
    <message>
        <source>Test</source>
        <translation>Проверить</translation>
    </message>
    <message>
        <source>Name</source>
        <translation>Имя</translation>
    </message>
    <message>
        <source>Address</source>
        <translation>Адрес</translation>
    </message>
    <message>
        <source>Registrar</source>
        <translation>Сервер регистрации</translation>
    </message>
    <message>
        <source>User name</source>
        <translation>Имя пользователя</translation>
    </message>
    <message>
        <source>Password</source>
        <translation>Пароль</translation>
    </message>
    <message>
        <source>Transport</source>
        <translation>Транспорт</translation>
    </message>
    <message>
        <source>Voicemail</source>
        <translation>Голосовая почта</translation>
    </message>
    <message>
        <source>Colleagues</source>
        <translation>Коллеги</translation>
    </message>
    <message>
        <source>Advanced…</source>
        <translation>Дополнительно…</translation>
    </message>
    <message>
        <source>An account needs a name and an address like sip:user@host.</source>
        <translation>Учётной записи нужны имя и адрес вида sip:user@host.</translation>
    </message>
    <message>
        <source>Not an extension, a number or a SIP address: %1</source>
        <translation>Не внутренний номер, не телефон и не SIP-адрес: %1</translation>
    </message>
    <message>
        <source>Account %1</source>
        <translation>Учётная запись %1</translation>
    </message>
    <message>
        <source>Testing… see the status bar.</source>
        <translation type="vanished">Проверка… смотрите строку состояния.</translation>
    </message>
    <message>
        <source>Testing…</source>
        <translation>Проверка…</translation>
    </message>
    <message>
        <source>System default</source>
        <translation>Системное по умолчанию</translation>
    </message>
    <message>
        <source>Play a test sound</source>
        <translation>Проиграть тестовый звук</translation>
    </message>
    <message>
        <source>Microphone</source>
        <translation>Микрофон</translation>
    </message>
    <message>
        <source>Speaker / headset</source>
        <translation>Динамик / гарнитура</translation>
    </message>
    <message>
        <source>Ringer</source>
        <translation>Звонок</translation>
    </message>
    <message>
        <source>Ring volume</source>
        <translation>Громкость звонка</translation>
    </message>
    <message>
        <source>Microphone level</source>
        <translation>Уровень микрофона</translation>
    </message>
    <message>
        <source>Codecs</source>
        <translation>Кодеки</translation>
    </message>
    <message>
        <source>Echo cancellation (for speakers, not needed with a headset)</source>
        <translation>Подавление эха (для колонок, с гарнитурой не нужно)</translation>
    </message>
    <message>
        <source>Noise suppression</source>
        <translation>Шумоподавление</translation>
    </message>
    <message>
        <source>Automatic microphone gain</source>
        <translation>Автоматическое усиление микрофона</translation>
    </message>
    <message>
        <source> ms</source>
        <translation> мс</translation>
    </message>
    <message>
        <source>The longest echo the canceller removes: raise it when the other side still hears itself late</source>
        <translation>Самое долгое эхо, которое убирается: увеличьте, если собеседник всё ещё слышит себя с запаздыванием</translation>
    </message>
    <message>
        <source>Echo tail length</source>
        <translation>Длина хвоста эха</translation>
    </message>
    <message>
        <source>empty: the profile&apos;s SQLite file</source>
        <translation>пусто: файл SQLite в профиле</translation>
    </message>
    <message>
        <source>e.g. RU, DE, US</source>
        <translation>например, RU, DE, US</translation>
    </message>
    <message>
        <source>The country of numbers dialled without a country code (8 495…, 030…). Without one, such numbers are kept as they came until a region is set.</source>
        <translation>Страна номеров без кода страны (8 495…, 030…). Пока регион не задан, такие номера хранятся в том виде, в каком пришли.</translation>
    </message>
    <message>
        <source>Database URL</source>
        <translation>URL базы данных</translation>
    </message>
    <message>
        <source>Default region (for numbers)</source>
        <translation>Регион по умолчанию (для номеров)</translation>
    </message>
    <message>
        <source>Agent name</source>
        <translation>Имя оператора</translation>
    </message>
    <message>
        <source>Database changes apply after a restart.</source>
        <translation>Изменения базы данных вступят в силу после перезапуска.</translation>
    </message>
    <message>
        <source>Answer calls automatically</source>
        <translation>Отвечать на звонки автоматически</translation>
    </message>
    <message>
        <source> s</source>
        <translation> с</translation>
    </message>
    <message>
        <source>Do not disturb</source>
        <translation>Не беспокоить</translation>
    </message>
    <message>
        <source>Record every call</source>
        <translation>Записывать все звонки</translation>
    </message>
    <message>
        <source>Ghost-call protection: take calls only from my servers (and, for a LAN account, the local network)</source>
        <translation>Защита от звонков-призраков: принимать звонки только с моих серверов (а для учётной записи LAN — из локальной сети)</translation>
    </message>
    <message>
        <source>Auto-answer after</source>
        <translation>Автоответ через</translation>
    </message>
    <message>
        <source>Forward all calls to</source>
        <translation>Переадресовывать все звонки на</translation>
    </message>
    <message>
        <source>Forward when busy to</source>
        <translation>Переадресовывать при занятости на</translation>
    </message>
    <message>
        <source>Forward unanswered to</source>
        <translation>Переадресовывать без ответа на</translation>
    </message>
    <message>
        <source>…after</source>
        <translation>…через</translation>
    </message>
    <message>
        <source>Wrap-up outcomes</source>
        <translation>Итоги звонков</translation>
    </message>
    <message>
        <source>System language</source>
        <translation>Язык системы</translation>
    </message>
    <message>
        <source>Closing the window keeps the phone running in the tray</source>
        <translation>При закрытии окна телефон продолжает работать в трее</translation>
    </message>
    <message>
        <source>Start Softphone in the tray when I log in</source>
        <translation>Запускать Softphone в трее при входе в систему</translation>
    </message>
    <message>
        <source>Set by the installer on Windows, in System Settings &gt; Login Items on macOS</source>
        <translation>В Windows задаётся установщиком, в macOS — в «Системных настройках» &gt; «Объекты входа»</translation>
    </message>
    <message>
        <source>Open tel:, sip: and callto: links with Softphone</source>
        <translation>Открывать ссылки tel:, sip: и callto: в Softphone</translation>
    </message>
    <message>
        <source>A new language applies after a restart.</source>
        <translation>Новый язык применится после перезапуска.</translation>
    </message>
    <message>
        <source>&quot;%1&quot; is not a country code: use two letters such as RU, DE or US, or leave it empty.</source>
        <translation>«%1» — не код страны: введите две буквы, например RU, DE или US, или оставьте поле пустым.</translation>
    </message>
</context>
<context>
    <name>SettingsProblemDialog</name>
    <message>
        <source>Softphone: the settings file has an error</source>
        <translation>Softphone: ошибка в файле настроек</translation>
    </message>
    <message>
        <source>Softphone could not use its settings file. Nothing in the file was changed.</source>
        <translation>Softphone не смог использовать файл настроек. В файле ничего не изменено.</translation>
    </message>
    <message>
        <source>(the whole file)</source>
        <translation>(весь файл)</translation>
    </message>
    <message>
        <source>File</source>
        <translation>Файл</translation>
    </message>
    <message>
        <source>Setting</source>
        <translation>Параметр</translation>
    </message>
    <message>
        <source>Line</source>
        <translation>Строка</translation>
    </message>
    <message>
        <source>What is wrong</source>
        <translation>Что не так</translation>
    </message>
    <message>
        <source>Fix the file and press Try again, or start with the default settings for now: your file stays as it is, and settings changed meanwhile are not saved.</source>
        <translation>Исправьте файл и нажмите «Повторить» или пока запустите программу с настройками по умолчанию: файл останется как есть, а изменённые тем временем настройки не сохранятся.</translation>
    </message>
    <message>
        <source>Open the file</source>
        <translation>Открыть файл</translation>
    </message>
    <message>
        <source>Try again</source>
        <translation>Повторить</translation>
    </message>
    <message>
        <source>Start with defaults for now</source>
        <translation>Пока запустить с настройками по умолчанию</translation>
    </message>
    <message>
        <source>Quit</source>
        <translation>Выйти</translation>
    </message>
    <message>
        <source>No program to open it was found: edit %1 with any text editor.</source>
        <translation>Не найдена программа, чтобы открыть его: отредактируйте %1 в любом текстовом редакторе.</translation>
    </message>
</context>
<context>
    <name>StatsView</name>
    <message>
        <source>Last 7 days</source>
        <translation>Последние 7 дней</translation>
    </message>
    <message>
        <source>Last 30 days</source>
        <translation>Последние 30 дней</translation>
    </message>
    <message>
        <source>Last 90 days</source>
        <translation>Последние 90 дней</translation>
    </message>
    <message>
        <source>Calls of one agent (a shared database holds the calls of every desk)</source>
        <translation>Звонки одного сотрудника (в общей базе хранятся звонки всех рабочих мест)</translation>
    </message>
    <message>
        <source>All agents</source>
        <translation>Все сотрудники</translation>
    </message>
    <message>
        <source>Calls</source>
        <translation>Звонки</translation>
    </message>
    <message>
        <source>Missed</source>
        <translation>Пропущенные</translation>
    </message>
    <message>
        <source>Average talk</source>
        <translation>Средний разговор</translation>
    </message>
    <message>
        <source>Time to call back</source>
        <translation>Время до перезвона</translation>
    </message>
    <message>
        <source>Calls per day</source>
        <translation>Звонков в день</translation>
    </message>
    <message>
        <source>Missed per day</source>
        <translation>Пропущенных в день</translation>
    </message>
    <message>
        <source>Busiest hours</source>
        <translation>Самые загруженные часы</translation>
    </message>
    <message>
        <source>Most-called contacts</source>
        <translation>Частые контакты</translation>
    </message>
</context>
<context>
    <name>TasksView</name>
    <message>
        <source>Call back</source>
        <translation>Перезвонить</translation>
    </message>
    <message>
        <source>Meeting</source>
        <translation>Встреча</translation>
    </message>
    <message>
        <source>To-do</source>
        <translation>Дело</translation>
    </message>
    <message>
        <source>Today</source>
        <translation>Сегодня</translation>
    </message>
    <message>
        <source>Tomorrow</source>
        <translation>Завтра</translation>
    </message>
    <message>
        <source>Overdue</source>
        <translation>Просрочено</translation>
    </message>
    <message>
        <source>In 1 hour</source>
        <translation>Через час</translation>
    </message>
    <message>
        <source>Tomorrow at 10:00</source>
        <translation>Завтра в 10:00</translation>
    </message>
    <message>
        <source>In 3 days</source>
        <translation>Через 3 дня</translation>
    </message>
    <message>
        <source>Next Monday at 10:00</source>
        <translation>В следующий понедельник в 10:00</translation>
    </message>
    <message>
        <source>Choose a date and time…</source>
        <translation>Выбрать дату и время…</translation>
    </message>
    <message>
        <source>Move the task</source>
        <translation>Перенос задачи</translation>
    </message>
    <message>
        <source>New due date and time:</source>
        <translation>Новые дата и время:</translation>
    </message>
    <message>
        <source>Delete the task</source>
        <translation>Удаление задачи</translation>
    </message>
    <message>
        <source>Delete “%1”?</source>
        <translation>Удалить «%1»?</translation>
    </message>
    <message>
        <source>Delete</source>
        <translation>Удалить</translation>
    </message>
    <message>
        <source>Overdue, today and the coming week</source>
        <extracomment>a task fell due: (task) — the main window reminds (notification, tray)</extracomment>
        <translation>Просроченные, сегодня и на неделю вперёд</translation>
    </message>
    <message>
        <source>Move</source>
        <translation>Перенести</translation>
    </message>
    <message>
        <source>Move to another time (Ctrl+M)</source>
        <translation>Перенести на другое время (Ctrl+M)</translation>
    </message>
    <message>
        <source>Nothing due</source>
        <translation>Ничего нет</translation>
    </message>
    <message>
        <source>Due today and overdue</source>
        <extracomment>a task fell due: (task) — the main window shows a reminder with &quot;Call now&quot;</extracomment>
        <translation type="vanished">На сегодня и просроченные</translation>
    </message>
    <message>
        <source>Due</source>
        <translation>Срок</translation>
    </message>
    <message>
        <source>Who</source>
        <translation>Кто</translation>
    </message>
    <message>
        <source>Kind</source>
        <translation>Тип</translation>
    </message>
    <message>
        <source>Task</source>
        <translation>Задача</translation>
    </message>
    <message>
        <source>Number</source>
        <translation type="vanished">Номер</translation>
    </message>
    <message>
        <source>Call now</source>
        <translation>Позвонить сейчас</translation>
    </message>
    <message>
        <source>Call now (Enter)</source>
        <translation>Позвонить сейчас (Enter)</translation>
    </message>
    <message>
        <source>Mark done</source>
        <translation>Отметить выполненной</translation>
    </message>
</context>
<context>
    <name>TodayPage</name>
    <message>
        <source>Ready. Type a number above (Ctrl+L), or pick a contact.</source>
        <translation>Готово. Наберите номер вверху (Ctrl+L) или выберите контакт.</translation>
    </message>
    <message>
        <source>Missed calls to return</source>
        <translation>Пропущенные, на которые нужно перезвонить</translation>
    </message>
    <message>
        <source>Due today</source>
        <translation>На сегодня</translation>
    </message>
    <message>
        <source>Double-click a line to call.</source>
        <translation>Дважды щёлкните строку, чтобы позвонить.</translation>
    </message>
    <message>
        <source>None</source>
        <translation>Нет</translation>
    </message>
    <message>
        <source>Nothing due</source>
        <translation>Задач на сегодня нет</translation>
    </message>
</context>
<context>
    <name>Tray</name>
    <message>
        <source>Show Softphone</source>
        <translation>Показать Softphone</translation>
    </message>
    <message>
        <source>Quit</source>
        <translation>Выход</translation>
    </message>
</context>
<context>
    <name>Voicemail</name>
    <message>
        <source>No voicemail number: set one for the account in Settings → Accounts → Voicemail.</source>
        <extracomment>nothing to dial: the message is fit to show</extracomment>
        <translation>Нет номера голосовой почты: укажите его для учётной записи в Настройки → Учётные записи → Голосовая почта.</translation>
    </message>
    <message>
        <source>Voicemail: %1 new</source>
        <translation>Голосовая почта: новых %1</translation>
    </message>
    <message>
        <source>Voicemail: new messages</source>
        <translation>Голосовая почта: есть новые сообщения</translation>
    </message>
    <message>
        <source>Voicemail (%1)</source>
        <translation>Голосовая почта (%1)</translation>
    </message>
    <message>
        <source>Voicemail</source>
        <translation>Голосовая почта</translation>
    </message>
    <message>
        <source>%1: %2 new, %3 old</source>
        <translation>%1: новых %2, старых %3</translation>
    </message>
    <message>
        <source>Call your voicemail</source>
        <translation>Позвонить в голосовую почту</translation>
    </message>
</context>
<context>
    <name>Wrapup</name>
    <message>
        <source>Incoming</source>
        <translation>Входящий</translation>
    </message>
    <message>
        <source>Outgoing</source>
        <translation>Исходящий</translation>
    </message>
</context>
<context>
    <name>WrapupPanel</name>
    <message>
        <source>Outcome</source>
        <extracomment>outcome (&quot;&quot; for none), reason, note kind (call_back|meeting|todo), title, due (aware UTC datetime)</extracomment>
        <translation>Результат</translation>
    </message>
    <message>
        <source>Reason (optional)</source>
        <translation>Причина (необязательно)</translation>
    </message>
    <message>
        <source>Note: what was said, what was promised</source>
        <translation>Заметка: о чём говорили, что обещали</translation>
    </message>
    <message>
        <source>Next step</source>
        <translation>Следующий шаг</translation>
    </message>
    <message>
        <source>Call back tomorrow</source>
        <translation type="vanished">Перезвонить завтра</translation>
    </message>
    <message>
        <source>In 3 days</source>
        <translation type="vanished">Через 3 дня</translation>
    </message>
    <message>
        <source>In a week</source>
        <translation type="vanished">Через неделю</translation>
    </message>
    <message>
        <source>Meeting</source>
        <translation>Встреча</translation>
    </message>
    <message>
        <source>To-do…</source>
        <translation>Дело…</translation>
    </message>
    <message>
        <source>Add to-do</source>
        <translation type="vanished">Добавить дело</translation>
    </message>
    <message>
        <source>Call back &amp;tomorrow</source>
        <translation>Перезвонить &amp;завтра</translation>
    </message>
    <message>
        <source>In 3 &amp;days</source>
        <translation>Через 3 &amp;дня</translation>
    </message>
    <message>
        <source>In a &amp;week</source>
        <translation>Через &amp;неделю</translation>
    </message>
    <message>
        <source>&amp;Meeting</source>
        <translation>&amp;Встреча</translation>
    </message>
    <message>
        <source>Add t&amp;o-do</source>
        <translation>Добавить &amp;задачу</translation>
    </message>
    <message>
        <source>Name for a new contact</source>
        <translation>Имя нового контакта</translation>
    </message>
    <message>
        <source>Deal (optional)</source>
        <translation>Сделка (необязательно)</translation>
    </message>
    <message>
        <source>Create contact</source>
        <translation>Создать контакт</translation>
    </message>
    <message>
        <source>Done</source>
        <translation>Готово</translation>
    </message>
    <message>
        <source>Save and close</source>
        <translation>Сохранить и закрыть</translation>
    </message>
    <message>
        <source>Skip</source>
        <translation>Пропустить</translation>
    </message>
    <message>
        <source>Close without a wrap-up</source>
        <translation>Закрыть без итога</translation>
    </message>
    <message>
        <source>Saved</source>
        <translation>Сохранено</translation>
    </message>
    <message>
        <source>Not saved!</source>
        <translation>Не сохранено!</translation>
    </message>
    <message>
        <source>Saving…</source>
        <translation>Сохранение…</translation>
    </message>
    <message>
        <source>Call back</source>
        <translation>Перезвонить</translation>
    </message>
    <message>
        <source>Call back on %1</source>
        <translation>Перезвонить %1</translation>
    </message>
    <message>
        <source>Meeting on %1</source>
        <translation>Встреча %1</translation>
    </message>
    <message>
        <source>To-do: %1</source>
        <translation>Дело: %1</translation>
    </message>
</context>
<context>
    <name>i18n</name>
    <message>
        <source>%1 h %2 min</source>
        <translation>%1 ч %2 мин</translation>
    </message>
    <message>
        <source>%1 min</source>
        <translation>%1 мин</translation>
    </message>
    <message>
        <source>%1 s</source>
        <translation>%1 с</translation>
    </message>
    <message>
        <source>Yesterday %1</source>
        <translation>Вчера %1</translation>
    </message>
</context>
<context>
    <name>link</name>
    <message>
        <source>directory</source>
        <translation>справочник</translation>
    </message>
</context>
</TS>
