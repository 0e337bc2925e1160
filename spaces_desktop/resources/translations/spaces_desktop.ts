<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" sourcelanguage="en">
<context>
    <name>ConnectionBanner</name>
    <message>
        <source>Retry</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>ControlBar</name>
    <message>
        <source>Speaker: the person talking, large</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Grid: everyone the same size</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Side by side: camera and product camera</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Picture in picture: product camera large, camera small</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Mute</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Camera</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Product cam</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Choose your microphone and speaker</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Choose your camera</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Choose your product camera</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Raise hand</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>React</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Send a reaction</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Layout</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Choose how the stage is laid out</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Request to speak</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Leave</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Leave the Space</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>End Space</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>End the Space for everyone</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Unmute</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Stop camera</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Start camera</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Turn your camera off</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Turn your camera on</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Product cam on</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Turn your second (product) camera off</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Show your second camera</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Lower hand</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Lower your hand</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Raise your hand</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Cancel request</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>Demo</name>
    <message>
        <source>No camera or microphone found: you appear with a test picture, without a microphone.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>No camera found on this machine: you appear with a test picture.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>No microphone found on this machine: you appear without a microphone.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The demo guests could not join: %1</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>DeviceBanner</name>
    <message>
        <source>Not now</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>DeviceMenu</name>
    <message>
        <source>Nothing to switch to</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>DevicePickers</name>
    <message>
        <source>Microphone</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Camera</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Add a second camera (for a product or a wide shot)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Second camera</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>MICROPHONE</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>CAMERA</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>SECOND CAMERA</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>Devices</name>
    <message>
        <source>Synthetic camera (test picture)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Synthetic microphone (tone)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>No microphone</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>System default</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 (default)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Looking for cameras and microphones…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>No camera found: the synthetic camera (a moving test picture) stands in.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 The synthetic microphone (a tone) stands in.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>No microphone found: the synthetic microphone (a tone) stands in.</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>DirectorPanel</name>
    <message>
        <source>Someone</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 spoke %2 after %3 was silent %4</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 spoke %2 over a free floor</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 took over from %2: kept talking over them</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Held: %1&apos;s backchannel was %2</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Held: %1 talked %2 but did not out-talk %3</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>the speaker</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Ignored: %1&apos;s sound was %2, under %3</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Pinned %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Unpinned: back to who holds the floor</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 left the stage</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The speaker</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 s  %2</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>EndedScreen</name>
    <message>
        <source>Back to home</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>“%1”</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>Errors</name>
    <message>
        <source>The host removed you from this Space.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The host removed you from this Space; you can&apos;t rejoin it.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>This Space has ended.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The stage is full: a Space has room for 10 speakers and 2 co-hosts.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The server refused that.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>That was cancelled.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>That took too long. Check your connection and try again.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Something went wrong. Please try again; if it keeps happening, restart the app.</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>HomeScreen</name>
    <message>
        <source>Spaces</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Live conversations with audio and video: host one, or drop into one.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The name others see</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Your display name</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Start a Space</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Paste a link, e.g. https://example.com/s/AbC123</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Space link</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Join</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Reminder</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>YOUR NAME</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>HOST</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>JOIN</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>UPCOMING</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Recent Spaces</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Spaces you host or join show up here.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>RECENT SPACES</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Reopen as host</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Go back into a live Space you host, e.g. after the app closed</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>This computer only</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Spaces you start here can be joined from this computer only.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>This computer, for people on my network</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Others on the same Wi-Fi or office network can join from their computer or a browser.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>A Spaces server:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>https://spaces.example.com</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Server address</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>WHERE SPACES YOU START ARE HOSTED</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Paste the link of a Space first.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Enter the server&apos;s address.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Enter your name first</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Waiting for the server</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>InvitePrompt</name>
    <message>
        <source>Invitation to speak</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Join the stage</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Not now</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>You&apos;re invited to speak</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>in “%1”</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Check your camera and microphone before going on stage.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Check your microphone before going on stage.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>MICROPHONE</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Others hear you as soon as you&apos;re on stage; you can mute any time (Ctrl+D).</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>JoinDialog</name>
    <message>
        <source>Join a Space</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Space link</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>https://example.com/s/AbC123</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The name others see</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Your display name</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Join as listener</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Cancel</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Spaces</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>LINK</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>YOUR NAME</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>You join as a listener. Once in, you can request to speak; the host may also invite you on stage.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>on %1</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>JoinPreview</name>
    <message>
        <source>Hosted by %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Live now</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Not started yet</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Ended</source>
        <translation type="unfinished"></translation>
    </message>
    <message numerus="yes">
        <source>%n listening</source>
        <translation type="unfinished"><numerusform></numerusform></translation>
    </message>
    <message numerus="yes">
        <source>%n on stage</source>
        <translation type="unfinished"><numerusform></numerusform></translation>
    </message>
    <message>
        <source>video</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Couldn&apos;t look up this Space: %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Looking up this Space…</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>LevelMeter</name>
    <message>
        <source>Microphone level</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>MainWindow</name>
    <message>
        <source>Cancel</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Spaces</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Using %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Spaces you start are hosted on %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Enter the server&apos;s address.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Others on your network join at %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Hosting on %1.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Ready — only this computer can join</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Restarting the built-in server…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Starting the built-in server…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Spaces</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Start a Space…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Join a Space…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Settings…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Quit</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Space</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Mute / unmute</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Camera on / off</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Product camera on / off</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Raise / lower hand</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Pin / unpin the big tile</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Leave</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>End Space…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Overlays…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Lower third on / off</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Logo on / off</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Product card on / off</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;View</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Enter your name first: it&apos;s what others see.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Going live…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Scheduling your Space…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Scheduled for %1. Share the link: %2</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Your Space starts soon</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>“%1” · %2. Start it from Home when you&apos;re ready.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1: %2</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1: %2 · %3</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Call off this Space?</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>“%1” won&apos;t take place, and its link stops working for everyone.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Call off</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>You&apos;re in a Space: leave it to join the one in the link.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Joining…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Reopening your Space…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 · Spaces</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Leave and end the Space?</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>You&apos;re the host: leaving ends the Space for everyone.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>End Space</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>End this Space?</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Everyone will be disconnected, and the Space can&apos;t be restarted.</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>Notifier</name>
    <message>
        <source>Spaces</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>OverlayDialog</name>
    <message>
        <source>Overlays</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Your name</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Name</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Title or @handle</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Line under the name</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Show (%1)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>No image picked</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Logo image</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Choose…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Logo corner</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Product name</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>e.g. €49</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Price</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>One line about it</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Product line</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Product image</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Lower third (on your camera)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Line</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Logo (on both cameras)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Image</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Corner</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Product card (on the product camera)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Preview of your camera</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Preview of the product camera</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Your camera</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Product camera</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Everyone sees these in your video, the web player too. Changes apply as you type.</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>PeoplePanel</name>
    <message>
        <source>People</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Dismiss</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Dismiss the message</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Search people</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Search people by name</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>PeopleView</name>
    <message>
        <source>People</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>ReactionPicker</name>
    <message>
        <source>React with %1</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>SceneBar</name>
    <message>
        <source>Auto</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Person</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Product</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Product + speaker</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Side by side</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Grid</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>ScreenSource</name>
    <message>
        <source>Screen %1: %2 (%3×%4)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>display</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Whole screen (%1×%2)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Window: %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>“%1” is not a screen or a window.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Screen %1 is not connected any more.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The window “%1” is not open any more.</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>SettingsDialog</name>
    <message>
        <source>Settings</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Look for devices again</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Speaker</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>SPEAKER</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Device changes apply to this Space as soon as you save; others keep seeing and hearing you.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Device changes apply from the next Space you start or join.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Video encoding: %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Video decoding: %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Who gets the big tile</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The stage enlarges whoever holds the floor. Choose how quickly it moves to someone who starts talking.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Pin someone (P, or from their tile) to keep them large.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Theme</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Save</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Cancel</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>SetupDialog</name>
    <message>
        <source>Start a Space</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>What do you want to talk about?</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Title</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Enable video</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Let people on stage turn their cameras on</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Schedule for later</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>ddd d MMM yyyy, HH:mm</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Start time</source>
        <translation type="unfinished"></translation>
    </message>
    <message numerus="yes">
        <source>Up to %n days ahead.</source>
        <translation type="unfinished">
            <numerusform></numerusform>
        </translation>
    </message>
    <message>
        <source>Go live</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Cancel</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>TITLE</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Speakers can turn their cameras on.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Audio only: nobody&apos;s camera is used.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Schedule</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>SpaceModel</name>
    <message>
        <source>Host</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Co-host</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Speaker</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Listener</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>LIVE</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Reconnecting</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Connecting</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Offline</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Bring on stage</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Decline request</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Invite to speak</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Invite backstage (green room)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Make speaker</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Move to listeners</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Make co-host</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Remove as co-host</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Mute</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Remove from Space</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Remove and block their network address</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Let in</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Don&apos;t let in</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>muted</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>camera on</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>hand raised</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>asked to speak</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>invited to speak</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>You</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Waiting to be let in</source>
        <translation type="unfinished"></translation>
    </message>
    <message numerus="yes">
        <source>Waiting to join · %n</source>
        <translation type="unfinished"><numerusform></numerusform></translation>
    </message>
    <message numerus="yes">
        <source>Requests to speak · %n</source>
        <translation type="unfinished"><numerusform></numerusform></translation>
    </message>
    <message numerus="yes">
        <source>On stage · %n</source>
        <translation type="unfinished"><numerusform></numerusform></translation>
    </message>
    <message numerus="yes">
        <source>Listeners · %n</source>
        <translation type="unfinished"><numerusform></numerusform></translation>
    </message>
    <message>
        <source>Nobody waiting</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>No requests</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Nobody on stage yet</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>No listeners yet</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>No matches</source>
        <translation type="unfinished"></translation>
    </message>
    <message numerus="yes">
        <source>%n listening</source>
        <translation type="unfinished"><numerusform></numerusform></translation>
    </message>
    <message>
        <source>You&apos;ll be let in as soon as the host approves.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Connecting to the Space…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Reconnecting…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The connection to the Space was lost.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Your camera stopped (it was unplugged or another app took it). Plug it back in or pick another camera.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Your product camera stopped (it was unplugged or another app took it). Plug it back in or pick another camera.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Your microphone stopped (it was unplugged or another app took it). Plug it back in or pick another microphone.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Your speaker stopped (it was unplugged or another app took it). Plug it back in or pick another speaker.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Choose camera</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Choose microphone</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Choose speaker</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Your camera is back — turn it on?</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Your product camera is back — turn it on?</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Your speaker is back — turn it on?</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Your microphone is back — use it again?</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Use it</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Your speaker is back — use it again?</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Turn it on</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>You ended the Space</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Thanks for hosting. Everyone has been let go.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>This Space has ended</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The host ended the Space.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>You were removed from this Space</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The host removed you; you can&apos;t rejoin this Space.</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>SpaceScreen</name>
    <message>
        <source>Spaces</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>LIVE</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Video</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Show or hide the people in this Space</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Copy link</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Copy the Space&apos;s share link</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Link copied: %1</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>StageView</name>
    <message>
        <source>Stage</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Unpin</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Pin</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Nobody is on stage yet</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Backstage · %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 · product camera</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>TileWidget</name>
    <message>
        <source>Host</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Co-host</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Video paused — reconnecting…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Network: good — under 2% of their packets lost</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Network: fair — 2–8% of their packets lost; the picture may break up</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Network: poor — over 8% of their packets lost, or none arriving; expect freezes</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>good</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>fair</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>poor</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Good means under 2% of their packets lost.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Fair means 2–8% of their packets lost; the picture may break up.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Poor means over 8% of their packets lost, or none arriving; expect freezes.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>good connection</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>fair connection</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>poor connection</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 % lost</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 kbit/s</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 ms round trip</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Network: %1 — %2</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>muted</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>pinned</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Press Enter to unpin.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Press Enter to pin to the big tile.</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>UpcomingItem</name>
    <message>
        <source>its server isn&apos;t answering</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Start</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Start now</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Start %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Go live now and open the Space</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Cancel</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Cancel %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Call the Space off: its link stops working</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>UpcomingList</name>
    <message>
        <source>Upcoming Spaces</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>WaitingScreen</name>
    <message>
        <source>Waiting for the host to let you in</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Waiting</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Stop waiting</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>When</name>
    <message>
        <source>Today %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Tomorrow %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Yesterday %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 %2</source>
        <comment>weekday, clock</comment>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>d MMM</source>
        <comment>date pattern, this year</comment>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>d MMM yyyy</source>
        <comment>date pattern, another year</comment>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1, %2</source>
        <comment>date, clock</comment>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Just now</source>
        <translation type="unfinished"></translation>
    </message>
    <message numerus="yes">
        <source>%n min ago</source>
        <translation type="unfinished"><numerusform></numerusform></translation>
    </message>
    <message>
        <source>now</source>
        <translation type="unfinished"></translation>
    </message>
    <message numerus="yes">
        <source>%n min late</source>
        <translation type="unfinished"><numerusform></numerusform></translation>
    </message>
    <message numerus="yes">
        <source>%n h late</source>
        <translation type="unfinished"><numerusform></numerusform></translation>
    </message>
    <message numerus="yes">
        <source>in %n min</source>
        <translation type="unfinished"><numerusform></numerusform></translation>
    </message>
    <message numerus="yes">
        <source>in %n h</source>
        <translation type="unfinished"><numerusform></numerusform></translation>
    </message>
</context>
</TS>
