package com.example.im.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class CommandParserTest {

    @Test
    void parsesEveryVerbCaseInsensitively() throws ProtocolException {
        assertThat(CommandParser.parse("LOGIN alice")).isEqualTo(new Command.Login("alice"));
        assertThat(CommandParser.parse("login alice")).isEqualTo(new Command.Login("alice"));
        assertThat(CommandParser.parse("SEND bob hello there")).isEqualTo(new Command.Send("bob", "hello there"));
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
        "''                  | bad-input       | empty line",
        "'   '               | bad-input       | empty line",
        "LOGIN               | bad-input       | usage: LOGIN <uid>",
        "LOGIN a b           | bad-input       | usage: LOGIN <uid>",
        "LOGIN al/ice        | bad-input       | a uid is 1-32",
        "LOGIN abcdefghijklmnopqrstuvwxyz0123456 | bad-input | a uid is 1-32",
        "SEND bob            | bad-input       | usage: SEND <to_uid> <text>",
        "'SEND bob   '       | bad-input       | usage: SEND <to_uid> <text>",
        "SEND b@b hi         | bad-input       | a uid is 1-32",
        "FLY away            | unknown-command | FLY",
    })
    void refusesBadLinesWithACodeAndAReason(String line, String code, String reason) {
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
