package com.example.im.config;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * Command-line flags ({@code --port 7001} or {@code --port=7001}) with system-property fallbacks
 * ({@code -Dim.port=7001}) and defaults. Unknown flags are an error, not silently ignored: a typo in a port flag
 * should not start a server somewhere else.
 */
public final class Flags {

    private final Map<String, String> values = new LinkedHashMap<>();

    private Flags() {
    }

    /** Parses {@code args}; every flag name must be in {@code known} (without the leading dashes). */
    public static Flags parse(String[] args, Set<String> known) {
        return parse(args, known, Set.of());
    }

    /**
     * As {@link #parse(String[], Set)}, and the names in {@code switches} (also in {@code known}) take no value:
     * {@code --exit-after-script} alone means true; {@code --exit-after-script=false} or {@code ... false} says no.
     */
    public static Flags parse(String[] args, Set<String> known, Set<String> switches) {
        Flags flags = new Flags();
        for (int i = 0; i < args.length; i++) {
            String arg = args[i];
            if (!arg.startsWith("--")) {
                throw new IllegalArgumentException("unexpected argument '" + arg + "' (flags look like --name value)");
            }
            String name = arg.substring(2);
            String value;
            int eq = name.indexOf('=');
            if (eq >= 0) {
                value = name.substring(eq + 1);
                name = name.substring(0, eq);
            } else if (switches.contains(name) && i + 1 < args.length
                    && (args[i + 1].equalsIgnoreCase("true") || args[i + 1].equalsIgnoreCase("false"))) {
                value = args[++i]; // "--exit-after-script true", as older docs wrote it
            } else if (name.equals("help") || switches.contains(name)) {
                value = "true";
            } else if (i + 1 < args.length) {
                value = args[++i];
            } else {
                throw new IllegalArgumentException("flag --" + name + " needs a value");
            }
            if (!name.equals("help") && !known.contains(name)) {
                throw new IllegalArgumentException("unknown flag --" + name + " (known: --" + String.join(", --", known) + ")");
            }
            flags.values.put(name, value);
        }
        return flags;
    }

    public boolean help() {
        return values.containsKey("help");
    }

    /** The flag's value, else the system property {@code im.<name>}, else {@code fallback}. */
    public String get(String name, String fallback) {
        String value = values.get(name);
        return value != null ? value : System.getProperty("im." + name, fallback);
    }

    public long getLong(String name, long fallback) {
        String value = get(name, Long.toString(fallback));
        try {
            return Long.parseLong(value.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--" + name + " must be a whole number, got '" + value + "'");
        }
    }

    public int getInt(String name, int fallback) {
        String value = get(name, Integer.toString(fallback));
        try {
            return Integer.parseInt(value.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--" + name + " must be a whole number, got '" + value + "'");
        }
    }
}
