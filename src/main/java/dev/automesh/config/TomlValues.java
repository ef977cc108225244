package dev.automesh.config;

import dev.automesh.config.ConfigException.Reason;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.tomlj.TomlArray;
import org.tomlj.TomlPosition;
import org.tomlj.TomlTable;

/**
 * Typed reads of one file's TOML values, and where their errors point: tomlj records where a
 * key = value starts, and messages about the value point at the value itself.
 */
final class TomlValues {
    final String name;
    private final String[] lines;

    TomlValues(String name, String text) {
        this.name = name;
        this.lines = text.split("\n", -1);
    }

    ConfigException at(Reason reason, TomlPosition p, String path, String problem) {
        return new ConfigException(reason, name, line(p), col(p), path, problem);
    }

    ConfigException err(Reason reason, TomlTable t, String key, boolean atValue, String problem) {
        return err(reason, t, "", key, atValue, problem);
    }

    /** @param prefix key path of the table ("" or "peers[2]"); {@code atValue}: point at the value, not the key */
    ConfigException err(Reason reason, TomlTable t, String prefix, String key, boolean atValue, String problem) {
        TomlPosition p = t.inputPositionOf(List.of(key));
        String path = prefix.isEmpty() ? key : prefix.endsWith(".") ? prefix + key : prefix + "." + key;
        if (p == null) return new ConfigException(reason, name, 0, 0, path, problem);
        int column = atValue ? valueColumn(p) : col(p);
        return new ConfigException(reason, name, p.line(), column, path, problem);
    }

    private int valueColumn(TomlPosition p) {
        if (p.line() < 1 || p.line() > lines.length) return p.column();
        String l = lines[p.line() - 1];
        int i;
        try {
            i = l.offsetByCodePoints(0, p.column() - 1);
        } catch (IndexOutOfBoundsException e) {
            return p.column();
        }
        char quote = 0;
        for (; i < l.length(); i++) {
            char c = l.charAt(i);
            if (quote != 0) {
                if (c == '\\' && quote == '"') i++;
                else if (c == quote) quote = 0;
            } else if (c == '"' || c == '\'') {
                quote = c;
            } else if (c == '=') {
                i++;
                while (i < l.length() && (l.charAt(i) == ' ' || l.charAt(i) == '\t')) i++;
                return l.codePointCount(0, i) + 1;
            }
        }
        return p.column();
    }

    String requireString(TomlTable toml, String key, String fix) throws ConfigException {
        Object v = toml.get(List.of(key));
        if (v == null) throw new ConfigException(Reason.MISSING_KEY, name, 0, 0, key, "missing; " + fix);
        return stringValue(toml, "", key, v);
    }

    int requirePort(TomlTable toml, String key, String fix) throws ConfigException {
        if (toml.get(List.of(key)) == null) throw new ConfigException(Reason.MISSING_KEY, name, 0, 0, key, "missing; " + fix);
        return portValue(toml, key);
    }

    Optional<Integer> optPort(TomlTable toml, String key) throws ConfigException {
        if (toml.get(List.of(key)) == null) return Optional.empty();
        return Optional.of(portValue(toml, key));
    }

    private int portValue(TomlTable toml, String key) throws ConfigException {
        long v = requireLong(toml, key, "a UDP port number 1-65535");
        if (v < 1 || v > 65535) {
            throw err(Reason.INVALID_VALUE, toml, key, true, v + " is out of range (expected a UDP port 1-65535)");
        }
        return (int) v;
    }

    long requireLong(TomlTable toml, String key, String what) throws ConfigException {
        Object v = toml.get(List.of(key));
        if (v instanceof Long l) return l;
        String hint = v instanceof String s && IpLiteral.allDigits(s) ? "; write " + key + " = " + s + " without quotes" : "";
        throw err(Reason.WRONG_TYPE, toml, key, true, "expected " + what + ", got " + Texts.typeName(v) + hint);
    }

    Optional<String> optString(TomlTable toml, String key) throws ConfigException {
        Object v = toml.get(List.of(key));
        if (v == null) return Optional.empty();
        return Optional.of(stringValue(toml, "", key, v));
    }

    Optional<Path> optPath(TomlTable toml, String key) throws ConfigException {
        Optional<String> s = optString(toml, key);
        if (s.isEmpty()) return Optional.empty();
        if (s.get().isEmpty()) {
            throw err(Reason.INVALID_VALUE, toml, key, true, "is empty; remove the line or give a path");
        }
        return Optional.of(toPath(toml, key, s.get()));
    }

    Path toPath(TomlTable toml, String key, String s) throws ConfigException {
        try {
            return Path.of(s);
        } catch (InvalidPathException e) {
            throw err(Reason.INVALID_VALUE, toml, key, true, Texts.quote(s) + " is not a valid path: " + e.getReason());
        }
    }

    boolean optBool(TomlTable toml, String key, boolean dflt) throws ConfigException {
        Object v = toml.get(List.of(key));
        if (v == null) return dflt;
        if (v instanceof Boolean b) return b;
        String hint = v instanceof String s && (s.equals("true") || s.equals("false"))
                ? "; write " + key + " = " + s + " without quotes"
                : "; write " + key + " = true or " + key + " = false";
        throw err(Reason.WRONG_TYPE, toml, key, true, "expected true or false, got " + Texts.typeName(v) + hint);
    }

    String stringValue(TomlTable t, String prefix, String key, Object v) throws ConfigException {
        if (v instanceof String s) return s;
        String hint = v instanceof Long || v instanceof Boolean || v instanceof Double
                ? "; put the value in double quotes"
                : v instanceof TomlArray ? "; give a single value in double quotes" : "";
        throw err(Reason.WRONG_TYPE, t, prefix, key, true, "expected a string, got " + Texts.typeName(v) + hint);
    }

    /** Unknown keys are errors, with the nearest known key as a suggestion. */
    void checkKeys(TomlTable t, String prefix, List<String> known) throws ConfigException {
        // Report the first unknown key in file order, so the error matches what the user sees first.
        String firstKey = null;
        TomlPosition firstPos = null;
        for (String k : t.keySet()) {
            if (known.contains(k)) continue;
            TomlPosition p = t.inputPositionOf(List.of(k));
            if (firstPos == null || (p != null && (line(p) < line(firstPos)
                    || (line(p) == line(firstPos) && col(p) < col(firstPos))))) {
                firstKey = k;
                firstPos = p;
            }
        }
        if (firstKey == null) return;
        String suggestion = KeySuggestions.suggest(firstKey, known);
        String fix = suggestion != null ? "did you mean " + suggestion + "?"
                : "known keys here: " + String.join(", ", known);
        throw at(Reason.UNKNOWN_KEY, firstPos, prefix + firstKey, "unknown key (" + fix + ")");
    }

    /** Of two keys of one table, the one written later in the file. */
    static String laterKey(TomlTable t, String a, String b) {
        TomlPosition pa = t.inputPositionOf(List.of(a));
        TomlPosition pb = t.inputPositionOf(List.of(b));
        if (line(pa) != line(pb)) return line(pa) > line(pb) ? a : b;
        return col(pa) > col(pb) ? a : b;
    }

    static int line(TomlPosition p) {
        return p == null ? 0 : p.line();
    }

    static int col(TomlPosition p) {
        return p == null ? 0 : p.column();
    }
}
