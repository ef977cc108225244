package dev.automesh.config;

import dev.automesh.config.ConfigException.Reason;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.tomlj.Toml;
import org.tomlj.TomlArray;
import org.tomlj.TomlParseError;
import org.tomlj.TomlParseResult;
import org.tomlj.TomlPosition;
import org.tomlj.TomlTable;

/**
 * Parses a config one section at a time ({@link TomlBounds#sections}): tomlj keeps a token per
 * character until a parse ends, so parsing 1000 [[peers]] at once needs ~30 MB where one peer needs
 * nothing. Each section is parsed alone, its positions shifted to the whole file, and merged into one
 * document by tomlj's own rules for headers (a table defined twice, [peers] after [[peers]], a
 * header through a value...), with tomlj's messages, at the header that breaks them.
 *
 * <p>One case is stricter than tomlj: a dotted key that adds to a table only implied by an earlier,
 * longer header ({@code [a.b.c]} then {@code [a]} with {@code b.d = 1}) is refused here and accepted
 * by tomlj. automesh has no nested tables, so such a file is refused either way, for another reason.
 */
final class TomlSections {
    private static final Pattern POSITION = Pattern.compile("(at |\\()line (\\d+), column (\\d+)");

    private final String text;
    private final String name;
    private final MergedTable root = new MergedTable(TomlPosition.positionAt(1, 1));

    private TomlSections(String text, String name) {
        this.text = text;
        this.name = name;
    }

    /** @throws ConfigException SYNTAX at the first error of the first section that has one */
    static TomlTable parse(String text, String name, List<TomlBounds.Section> sections) throws ConfigException {
        TomlSections doc = new TomlSections(text, name);
        for (int i = 0; i < sections.size(); i++) doc.add(sections.get(i), i == 0);
        return doc.root;
    }

    /** A header that breaks tomlj's rules, with tomlj's words. */
    private static final class Clash extends Exception {
        final TomlPosition at;

        Clash(String message, TomlPosition at) {
            super(message, null, false, false);
            this.at = at;
        }
    }

    private void add(TomlBounds.Section s, boolean top) throws ConfigException {
        int shift = s.line() - 1;
        TomlParseResult r;
        try {
            r = Toml.parse(text.substring(s.start(), s.end()));
        } catch (StackOverflowError e) {
            // TomlBounds caps nesting; this is the last line of defence for a smaller stack than measured.
            throw new ConfigException(Reason.TOO_LARGE, name, 0, 0, "", "nests arrays or tables too deeply to parse");
        }
        if (r.hasErrors()) {
            TomlParseError first = r.errors().stream()
                    .min(Comparator.comparingInt((TomlParseError e) -> e.position().line())
                            .thenComparingInt(e -> e.position().column()))
                    .orElseThrow();
            throw syntax(first.position().line() + shift, first.position().column(), shiftMessage(first.getMessage(), shift));
        }
        try {
            if (top) adopt(root, r, shift);
            else header(r, shift);
        } catch (Clash c) {
            throw syntax(c.at.line(), c.at.column(), c.getMessage());
        }
    }

    private ConfigException syntax(int line, int column, String message) {
        return new ConfigException(Reason.SYNTAX, name, line, column, "", "invalid TOML: " + stripPosition(message));
    }

    /**
     * Merges one [header] or [[header]] section. Its parse holds the header's path on line 1 (tomlj
     * places the implied tables at the header too) and the keys below it on later lines.
     */
    private void header(TomlTable r, int shift) throws Clash {
        List<String> path = new ArrayList<>();
        TomlTable t = r;
        TomlPosition at = null;
        TomlTable content = null;
        boolean array = false;
        while (content == null) {
            String next = null;
            for (String k : t.keySet()) {
                TomlPosition p = t.inputPositionOf(List.of(k));
                if (p != null && p.line() == 1) next = k;
            }
            if (next == null) {
                content = t;
                break;
            }
            path.add(next);
            at = t.inputPositionOf(List.of(next));
            Object v = t.get(List.of(next));
            if (v instanceof TomlArray a) {
                array = true;
                content = (TomlTable) a.get(a.size() - 1);
            } else {
                t = (TomlTable) v;
            }
        }
        if (path.isEmpty()) { // not a header after all: tomlj would have said so; merge as top-level keys
            mergeInto(root, content, shift);
            return;
        }
        TomlPosition pos = shifted(at, shift);
        MergedTable parent = ensureTable(path.subList(0, path.size() - 1), pos);
        String key = path.get(path.size() - 1);
        MergedTable.Element e = parent.element(key);
        if (array) {
            if (e == null) {
                parent.put(key, new MergedArray(true), pos);
                e = parent.element(key);
            }
            if (!(e.value() instanceof TomlArray)) {
                throw new Clash(Toml.joinKeyPath(path) + " is not an array (previously defined at " + e.position() + ")", pos);
            }
            if (!(e.value() instanceof MergedArray a) || !a.isTableArray()) {
                throw new Clash(Toml.joinKeyPath(path) + " previously defined as a literal array at " + e.position(), pos);
            }
            MergedTable element = new MergedTable(null);
            a.append(element, pos);
            adopt(element, content, shift);
        } else if (e == null) {
            MergedTable table = new MergedTable(pos);
            parent.put(key, table, pos);
            adopt(table, content, shift);
        } else if (e.value() instanceof MergedTable implied && implied.definedAt() == null) {
            implied.define(pos);
            parent.put(key, implied, pos);
            mergeInto(implied, content, shift);
        } else {
            throw new Clash(Toml.joinKeyPath(path) + " previously defined at " + e.position(), pos);
        }
    }

    /** The table a header's path leads to, through the last element of arrays of tables; implied tables made on the way. */
    private MergedTable ensureTable(List<String> path, TomlPosition pos) throws Clash {
        MergedTable t = root;
        for (int i = 0; i < path.size(); i++) {
            MergedTable.Element e = t.element(path.get(i));
            if (e == null) {
                MergedTable implied = new MergedTable(null);
                t.put(path.get(i), implied, pos);
                t = implied;
            } else if (e.value() instanceof MergedTable m) {
                t = m;
            } else if (e.value() instanceof MergedArray a && a.isTableArray()) {
                t = (MergedTable) a.get(a.size() - 1);
            } else {
                throw new Clash(Toml.joinKeyPath(path.subList(0, i + 1)) + " is not a table (previously defined at "
                        + e.position() + ")", pos);
            }
        }
        return t;
    }

    /** A section's keys into a table that already holds tables of earlier headers: any key there twice is an error. */
    private void mergeInto(MergedTable into, TomlTable from, int shift) throws Clash {
        for (String k : from.keySet()) {
            MergedTable.Element e = into.element(k);
            TomlPosition pos = shifted(from.inputPositionOf(List.of(k)), shift);
            Object v = from.get(List.of(k));
            if (e == null) {
                into.put(k, copy(v, pos, shift), pos);
            } else if (v instanceof TomlTable && e.value() instanceof MergedTable m && m.definedAt() != null) {
                throw new Clash(Toml.joinKeyPath(List.of(k)) + " already defined at " + m.definedAt(), pos);
            } else {
                throw new Clash(Toml.joinKeyPath(List.of(k)) + " previously defined at " + e.position(), pos);
            }
        }
    }

    /** A section's keys into a table of their own. */
    private static void adopt(MergedTable into, TomlTable from, int shift) {
        for (String k : from.keySet()) {
            TomlPosition pos = shifted(from.inputPositionOf(List.of(k)), shift);
            into.put(k, copy(from.get(List.of(k)), pos, shift), pos);
        }
    }

    /**
     * A value with its positions shifted. Tables written inline or by dotted keys count as defined
     * (tomlj defines them at the next header); empty ones stay tomlj's, which nothing can extend.
     */
    private static Object copy(Object v, TomlPosition pos, int shift) {
        if (v instanceof TomlTable t && !t.isEmpty()) {
            MergedTable m = new MergedTable(pos);
            adopt(m, t, shift);
            return m;
        }
        if (v instanceof TomlArray a && !a.isEmpty()) {
            MergedArray m = new MergedArray(false);
            for (int i = 0; i < a.size(); i++) {
                TomlPosition p = shifted(a.inputPositionOf(i), shift);
                m.append(copy(a.get(i), p, shift), p);
            }
            return m;
        }
        return v;
    }

    private static TomlPosition shifted(TomlPosition p, int shift) {
        return p == null || shift == 0 ? p : TomlPosition.positionAt(p.line() + shift, p.column());
    }

    /** Positions tomlj writes into a section's messages, made positions in the whole file. */
    static String shiftMessage(String msg, int shift) {
        if (msg == null || shift == 0) return msg;
        Matcher m = POSITION.matcher(msg);
        StringBuilder sb = new StringBuilder();
        while (m.find()) {
            m.appendReplacement(sb, Matcher.quoteReplacement(m.group(1) + "line " + (Long.parseLong(m.group(2)) + shift)
                    + ", column " + m.group(3)));
        }
        return m.appendTail(sb).toString();
    }

    /** tomlj appends " (line L, column C)" to some messages; the prefix of our line already says it. */
    static String stripPosition(String msg) {
        return msg == null ? "" : msg.replaceFirst("\\s*\\(line \\d+, column \\d+\\)$", "");
    }
}
