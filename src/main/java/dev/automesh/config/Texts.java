package dev.automesh.config;

import java.time.temporal.Temporal;
import org.tomlj.TomlArray;
import org.tomlj.TomlTable;

/** How values appear inside one-line error messages. */
final class Texts {
    private Texts() {}

    /** Quoted for messages; long or odd values are shortened and escaped so the error stays one line. */
    static String quote(String s) {
        StringBuilder sb = new StringBuilder("\"");
        int n = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (++n > 60) {
                sb.append("...");
                break;
            }
            if (c == '"' || c == '\\') sb.append('\\').append(c);
            else if (c == '\n') sb.append("\\n");
            else if (c == '\t') sb.append("\\t");
            else if (Character.isISOControl(c)) sb.append(String.format("\\u%04x", (int) c));
            else sb.append(c);
        }
        return sb.append('"').toString();
    }

    static String typeName(Object v) {
        if (v == null) return "nothing";
        if (v instanceof String s) return "a string " + quote(s);
        if (v instanceof Long l) return "an integer " + l;
        if (v instanceof Double d) return "a float " + d;
        if (v instanceof Boolean b) return "a boolean " + b;
        if (v instanceof TomlArray) return "an array";
        if (v instanceof TomlTable) return "a table";
        if (v instanceof Temporal) return "a date/time";
        return v.getClass().getSimpleName();
    }
}
