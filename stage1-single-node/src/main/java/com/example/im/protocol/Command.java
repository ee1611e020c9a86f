package com.example.im.protocol;

/**
 * What a client can ask for, once a line has been parsed. One record per verb of the text protocol
 * (docs/01-single-node.md, "The protocol").
 */
public sealed interface Command {

    record Login(String uid) implements Command {
    }

    record Send(String toUid, String text) implements Command {
    }

    record Who() implements Command {
    }

    record Help() implements Command {
    }

    record Quit() implements Command {
    }
}
