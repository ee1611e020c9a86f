package com.example.im.protocol;

import java.util.List;

/**
 * What a console user typed, once parsed. Since stage 2 the server speaks protobuf, so these commands are parsed on
 * the client side ({@code ChatConsole}) and turned into frames (docs/02-protobuf.md, "The console").
 */
public sealed interface Command {

    record Login(String uid) implements Command {
    }

    record Send(String toUid, String text) implements Command {
    }

    /** Group chat, the article's 方式二: one message for every member. */
    record Group(List<String> toUids, String text) implements Command {
    }

    record Who() implements Command {
    }

    record Help() implements Command {
    }

    record Quit() implements Command {
    }
}
