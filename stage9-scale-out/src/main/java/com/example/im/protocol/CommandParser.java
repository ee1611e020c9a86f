package com.example.im.protocol;

import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * Turns one line typed into the console into a {@link Command}. Verbs are case-insensitive; everything else is
 * strict. The server validates again: a client is never trusted.
 */
public final class CommandParser {

    /** uids: 1–32 characters a shell, a log line and a Redis key can all carry without quoting. */
    public static final Pattern UID = Pattern.compile("[A-Za-z0-9_.-]{1,32}");

    private CommandParser() {
    }

    // tag::parse[]
    public static Command parse(String line) throws ProtocolException {
        if (line.isBlank()) {
            throw new ProtocolException(ErrorCode.BAD_INPUT, "empty line; type HELP for the commands");
        }
        checkText(line);
        int space = line.indexOf(' ');
        String verb = (space < 0 ? line : line.substring(0, space)).toUpperCase(Locale.ROOT);
        String rest = space < 0 ? "" : line.substring(space + 1);
        return switch (verb) {
            case "LOGIN" -> new Command.Login(uid(rest.strip(), "usage: LOGIN <uid>"));
            case "SEND" -> send(rest);
            case "GROUP" -> group(rest);
            case "WHO" -> new Command.Who();
            case "HELP" -> new Command.Help();
            case "QUIT" -> new Command.Quit();
            default -> throw new ProtocolException(ErrorCode.BAD_INPUT,
                    "unknown command " + printable(verb) + "; type HELP for the commands");
        };
    }
    // end::parse[]

    private static Command send(String rest) throws ProtocolException {
        String usage = "usage: SEND <to_uid> <text>";
        int space = rest.indexOf(' ');
        if (space < 0 || rest.substring(space + 1).isBlank()) {
            throw new ProtocolException(ErrorCode.BAD_INPUT, usage);
        }
        return new Command.Send(uid(rest.substring(0, space), usage), rest.substring(space + 1));
    }

    private static Command group(String rest) throws ProtocolException {
        String usage = "usage: GROUP <uid>,<uid>,... <text>";
        int space = rest.indexOf(' ');
        if (space < 0 || rest.substring(space + 1).isBlank()) {
            throw new ProtocolException(ErrorCode.BAD_INPUT, usage);
        }
        String[] uids = rest.substring(0, space).split(",");
        for (String uid : uids) {
            uid(uid, usage);
        }
        return new Command.Group(List.of(uids), rest.substring(space + 1));
    }

    private static String uid(String candidate, String usage) throws ProtocolException {
        if (!UID.matcher(candidate).matches()) {
            throw new ProtocolException(ErrorCode.BAD_INPUT,
                    usage + " (a uid is 1-32 of A-Z a-z 0-9 _ . -; got '" + printable(candidate) + "')");
        }
        return candidate;
    }

    /**
     * Rejects lines that are not text: control characters (other than tab) and U+FFFD, which is what the UTF-8
     * decoder puts where the bytes were not valid UTF-8.
     */
    private static void checkText(String line) throws ProtocolException {
        for (int i = 0; i < line.length(); i++) {
            char c = line.charAt(i);
            if (c == '\uFFFD') {
                throw new ProtocolException(ErrorCode.BAD_INPUT, "line is not valid UTF-8 text");
            }
            if ((c < 0x20 && c != '\t') || c == 0x7F) {
                throw new ProtocolException(ErrorCode.BAD_INPUT,
                        String.format("control character 0x%02X at column %d", (int) c, i + 1));
            }
        }
    }

    /** Echoes user input back in an error message, cut short: never reflect a whole line. */
    private static String printable(String s) {
        return s.length() <= 32 ? s : s.substring(0, 32) + "…";
    }
}
