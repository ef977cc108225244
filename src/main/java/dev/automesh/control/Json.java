package dev.automesh.control;

/** A minimal JSON writer (the project has no JSON dependency; the status document is small). */
final class Json {
    private final StringBuilder sb = new StringBuilder();
    private boolean needComma;

    Json begin() { sep(); sb.append('{'); needComma = false; return this; }
    Json end() { sb.append('}'); needComma = true; return this; }
    Json beginArray() { sep(); sb.append('['); needComma = false; return this; }
    Json endArray() { sb.append(']'); needComma = true; return this; }

    Json key(String k) {
        sep();
        str(k);
        sb.append(':');
        needComma = false;
        return this;
    }

    Json value(String v) { sep(); if (v == null) sb.append("null"); else str(v); needComma = true; return this; }
    Json value(long v) { sep(); sb.append(v); needComma = true; return this; }
    Json value(boolean v) { sep(); sb.append(v); needComma = true; return this; }

    Json field(String k, String v) { return key(k).value(v); }
    Json field(String k, long v) { return key(k).value(v); }
    Json field(String k, boolean v) { return key(k).value(v); }
    Json fieldOrNull(String k, java.util.Optional<?> v) {
        key(k);
        if (v.isEmpty()) { sep(); sb.append("null"); needComma = true; return this; }
        Object o = v.get();
        return o instanceof Number n ? value(n.longValue()) : value(o.toString());
    }

    private void sep() {
        if (needComma) sb.append(',');
        needComma = false;
    }

    private void str(String s) {
        sb.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                case '\n' -> sb.append("\\n");
                case '\r' -> sb.append("\\r");
                case '\t' -> sb.append("\\t");
                default -> {
                    if (c < 0x20) sb.append(String.format("\\u%04x", (int) c));
                    else sb.append(c);
                }
            }
        }
        sb.append('"');
    }

    @Override
    public String toString() {
        return sb.toString();
    }
}
