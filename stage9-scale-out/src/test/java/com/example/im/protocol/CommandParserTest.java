package com.example.im.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class CommandParserTest {

    @Test
    void parsesEveryVerbCaseInsensitively() throws ProtocolException {
        assertThat(CommandParser.parse("LOGIN alice")).isEqualTo(new Command.Login("alice"));
        assertThat(CommandParser.parse("login alice")).isEqualTo(new Command.Login("alice"));
        assertThat(CommandParser.parse("SEND bob hello there")).isEqualTo(new Command.Send("bob", "hello there"));
        assertThat(CommandParser.parse("group bob,carol hi all"))
                .isEqualTo(new Command.Group(List.of("bob", "carol"), "hi all"));
        assertThat(CommandParser.parse("who")).isEqualTo(new Command.Who());
        assertThat(CommandParser.parse("HELP")).isEqualTo(new Command.Help());
        assertThat(CommandParser.parse("Quit")).isEqualTo(new Command.Quit());
    }

    @Test
    void theTextOfAMessageIsKeptExactly() throws ProtocolException {
        assertThat(CommandParser.parse("SEND bob   two  spaces\tand tab 你好 "))
                .isEqualTo(new Command.Send("bob", "  two  spaces\tand tab 你好 "));
    }

    @ParameterizedTest(name = "[{index}] ''{0}'' -> {1}")
    @CsvSource(delimiter = '|', value = {
        "''                  | BAD_INPUT       | empty line",
        "'   '               | BAD_INPUT       | empty line",
        "LOGIN               | BAD_INPUT       | usage: LOGIN <uid>",
        "LOGIN a b           | BAD_INPUT       | usage: LOGIN <uid>",
        "LOGIN al/ice        | BAD_INPUT       | a uid is 1-32",
        "LOGIN abcdefghijklmnopqrstuvwxyz0123456 | BAD_INPUT | a uid is 1-32",
        "SEND bob            | BAD_INPUT       | usage: SEND <to_uid> <text>",
        "'SEND bob   '       | BAD_INPUT       | usage: SEND <to_uid> <text>",
        "SEND b@b hi         | BAD_INPUT       | a uid is 1-32",
        "GROUP bob,carol     | BAD_INPUT       | usage: GROUP",
        "'GROUP bob,,carol hi' | BAD_INPUT     | a uid is 1-32",
        "FLY away            | BAD_INPUT       | unknown command FLY",
    })
    void refusesBadLinesWithACodeAndAReason(String line, ErrorCode code, String reason) {
        assertThatThrownBy(() -> CommandParser.parse(line))
                .isInstanceOfSatisfying(ProtocolException.class, e -> {
                    assertThat(e.code()).isEqualTo(code);
                    assertThat(e.getMessage()).contains(reason);
                });
    }

    @Test
    void refusesBinaryAndControlCharacters() {
        assertThatThrownBy(() -> CommandParser.parse("SEND bob \u0000\u0001"))
                .hasMessageContaining("control character 0x00 at column 10");
        assertThatThrownBy(() -> CommandParser.parse("SEND bob caf\uFFFD"))
                .hasMessageContaining("not valid UTF-8");
    }

    @Test
    void errorMessagesDoNotEchoLongInputBack() {
        String verb = "X".repeat(1000);
        assertThatThrownBy(() -> CommandParser.parse(verb)).message().hasSizeLessThan(100);
    }
}
