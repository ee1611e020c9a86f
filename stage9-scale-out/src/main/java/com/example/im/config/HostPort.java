package com.example.im.config;

/**
 * An address given on the command line as {@code HOST:PORT}, {@code HOST} alone, or an IPv6 literal in brackets
 * ({@code [::1]:7001}, {@code [::1]}): what {@code --advertise} and {@code --advertise-http} take (docs/09-scale-out.md,
 * "Advertised addresses").
 *
 * @param host the host, IPv6 without its brackets; null when the flag let it be omitted ({@code :8443})
 * @param port 1..65535, or 0 when omitted (the caller's default, usually the bound port)
 */
public record HostPort(String host, int port) {

    /**
     * Parses {@code value} of flag {@code flag} (named in the errors, e.g. "--advertise"). {@code hostOptional}:
     * whether {@code :PORT} (no host) is allowed.
     */
    public static HostPort parse(String flag, String value, boolean hostOptional) {
        String v = value == null ? "" : value.trim();
        String shape = hostOptional ? "HOST:PORT, HOST or :PORT" : "HOST:PORT or HOST";
        if (v.isEmpty()) {
            throw new IllegalArgumentException(flag + " needs " + shape + ", got an empty value");
        }
        if (v.contains("://") || v.contains("/")) {
            throw new IllegalArgumentException(flag + " needs " + shape + " (no scheme, no path), got '" + value + "'");
        }
        String host;
        String port;
        if (v.startsWith("[")) {
            int close = v.indexOf(']');
            if (close < 0) {
                throw new IllegalArgumentException(flag + " needs " + shape + ", got '" + value
                        + "': an IPv6 address in brackets needs its ']'");
            }
            host = v.substring(1, close);
            String rest = v.substring(close + 1);
            if (!rest.isEmpty() && !rest.startsWith(":")) {
                throw new IllegalArgumentException(flag + " needs " + shape + ", got '" + value + "'");
            }
            port = rest.isEmpty() ? null : rest.substring(1);
        } else {
            int colon = v.indexOf(':');
            if (colon >= 0 && v.indexOf(':', colon + 1) >= 0) {
                throw new IllegalArgumentException(flag + " needs " + shape + ", got '" + value
                        + "': write an IPv6 address in brackets, as [::1]:7001");
            }
            host = colon < 0 ? v : v.substring(0, colon);
            port = colon < 0 ? null : v.substring(colon + 1);
        }
        if (host.isEmpty() && !(hostOptional && port != null)) {
            throw new IllegalArgumentException(flag + " needs a host (" + shape + "), got '" + value + "'");
        }
        if (host.chars().anyMatch(Character::isWhitespace)) {
            throw new IllegalArgumentException(flag + " needs " + shape + ", got '" + value + "'");
        }
        if (isWildcard(host)) {
            throw new IllegalArgumentException(flag + " names the address clients dial; " + host
                    + " (every interface) is an address to bind, not one to dial");
        }
        int number = 0;
        if (port != null) {
            try {
                number = Integer.parseInt(port);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException(flag + " needs " + shape + ", got '" + value + "': '" + port
                        + "' is not a port number");
            }
            if (number < 1 || number > 65535) {
                throw new IllegalArgumentException(flag + " port must be 1..65535, got " + number + " in '" + value
                        + "' (leave the port out to advertise the bound one)");
            }
        }
        return new HostPort(host.isEmpty() ? null : host, number);
    }

    /** An address that means "every interface": fine to bind, never an address to dial. */
    public static boolean isWildcard(String host) {
        return host.equals("0.0.0.0") || host.equals("::") || host.equals("[::]") || host.equals("0:0:0:0:0:0:0:0");
    }

    /** {@code host} as it goes in a URL or a HOST:PORT: IPv6 literals in brackets. */
    public static String forUrl(String host) {
        return host.indexOf(':') >= 0 && !host.startsWith("[") ? "[" + host + "]" : host;
    }
}
