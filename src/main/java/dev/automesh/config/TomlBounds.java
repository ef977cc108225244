package dev.automesh.config;

import dev.automesh.config.ConfigException.Reason;
import java.util.ArrayList;
import java.util.List;

/**
 * Bounds what tomlj sees, before it sees it, and cuts the file into the sections that
 * {@link TomlSections} parses one at a time, so that `automesh check` (any heap) and the agent (the
 * unit's -Xmx48m -Xss256k) accept the same files.
 *
 * <p>tomlj's ANTLR lexer keeps a token for nearly every character outside comments and spaces (each
 * character of a string too) until its parse ends: measured under the unit's flags, 130 K such
 * characters of one string or of a dense array exhaust 48 MB, while a megabyte of comments costs
 * nothing. A section (the top-level keys, or one [table] / [[array]] header and its keys) is parsed
 * alone, so only its tokens are alive at once, and its cap leaves a factor of two. What stays alive
 * is the values of all sections, bounded by the value cap ({@link #MAX_VALUES}), the total and the
 * number of headers. Measured with the unit's flags: the costliest file under every cap parses
 * with -Xmx28m and exhausts -Xmx24m; a 1000-peer config with names and endpoints (150 K characters)
 * parses with -Xmx12m. 4096 such peers have 612 K characters and 4097 sections.
 */
final class TomlBounds {
    private TomlBounds() {}

    /** Characters outside comments, spaces and tabs (string contents and newlines included), per section. */
    static final int MAX_SIGNIFICANT_CHARS = 64 * 1024;
    /** The same over the whole file: 4096 peers with names, IPv6 addresses and host-name endpoints fit. */
    static final int MAX_TOTAL_SIGNIFICANT_CHARS = 768 * 1024;
    /** Keys, array elements and tables kept once parsed (checked by {@link TomlSections}): 4096 peers have 20 K. */
    static final int MAX_VALUES = 64 * 1024;
    /** [table] and [[array]] headers: 4096 peers are 4096 headers. */
    static final int MAX_HEADERS = 8192;
    /** No automesh value comes near: keys are 44, paths at most 4096, host names 253. */
    static final int MAX_STRING_CHARS = 16 * 1024;
    /** tomlj parses nesting recursively; real configs nest two deep. */
    static final int MAX_DEPTH = 32;

    /** Where a section starts: offset in the text and 1-based line; the header (if any) starts the line. */
    record Section(int start, int end, int line) {}

    /**
     * The file's sections in order; the first holds the top-level keys (and may be empty).
     *
     * @throws ConfigException TOO_LARGE at the offending string or section, or at 1:1 for the whole file
     */
    static List<Section> sections(String text, String name) throws ConfigException {
        return new Scan(text, name).run();
    }

    /** One pass, tracking line and column (in code points, as tomlj counts) for the error. */
    private static final class Scan {
        private final String text;
        private final String name;
        private final List<Section> sections = new ArrayList<>();
        private int i;
        private int line = 1;
        private int col = 1;
        private int lineStart;
        private boolean atLineStart = true;
        private int sectionStart;
        private int sectionLine = 1;
        private int significant;
        private int total;
        private int depth;

        Scan(String text, String name) {
            this.text = text;
            this.name = name;
        }

        List<Section> run() throws ConfigException {
            while (i < text.length()) {
                char c = text.charAt(i);
                if (c == '#') {
                    while (i < text.length() && text.charAt(i) != '\n') i++;
                    continue;
                }
                if (c == '[' && atLineStart && depth == 0) startSection();
                if (c != ' ' && c != '\t') atLineStart = false;
                if (c == '"' || c == '\'') {
                    string(c);
                    atLineStart = false; // a newline inside a multi-line string starts no line of TOML
                } else {
                    if (c == '[' || c == '{') {
                        if (++depth > MAX_DEPTH) {
                            // Same words as when the parser's own stack runs out.
                            throw new ConfigException(Reason.TOO_LARGE, name, 0, 0, "", "nests arrays or tables too deeply to parse");
                        }
                    } else if (c == ']' || c == '}') {
                        depth = Math.max(0, depth - 1);
                    }
                    if (c != ' ' && c != '\t') significant++;
                    advance(c);
                }
                if (significant > MAX_SIGNIFICANT_CHARS) tooDense();
            }
            endSection(text.length());
            return sections;
        }

        /** A header at the start of a line, outside any value: the previous section ends before this line. */
        private void startSection() throws ConfigException {
            endSection(lineStart);
            if (sections.size() > MAX_HEADERS) {
                throw new ConfigException(Reason.TOO_LARGE, name, line, 1, "", "has more than " + MAX_HEADERS
                        + " [table] headers, more than automesh reads (is this the right file?)");
            }
            sectionStart = lineStart;
            sectionLine = line;
        }

        private void endSection(int end) throws ConfigException {
            sections.add(new Section(sectionStart, end, sectionLine));
            total += significant;
            significant = 0;
            if (total > MAX_TOTAL_SIGNIFICANT_CHARS) {
                throw new ConfigException(Reason.TOO_LARGE, name, 1, 1, "", "has more than " + MAX_TOTAL_SIGNIFICANT_CHARS
                        + " characters outside comments, more than automesh reads within its memory"
                        + " (is this the right file? comments do not count)");
            }
        }

        private void tooDense() throws ConfigException {
            // The top-level keys report at 1:1 as before sections existed; a [table] at its header.
            String where = sections.isEmpty() ? "" : " in the section under this header";
            throw new ConfigException(Reason.TOO_LARGE, name, sectionLine, 1, "", "has more than " + MAX_SIGNIFICANT_CHARS
                    + " characters outside comments" + where + ", more than automesh parses at once within its memory"
                    + " (is this the right file? comments do not count)");
        }

        /** A basic or literal string, one-line or multi-line, from its opening quote to past its closing one. */
        private void string(char quote) throws ConfigException {
            boolean multi = text.startsWith(String.valueOf(quote).repeat(3), i);
            String delimiter = String.valueOf(quote).repeat(multi ? 3 : 1);
            int startLine = line;
            int startCol = col;
            skip(delimiter.length());
            int length = 0;
            while (i < text.length()) {
                char d = text.charAt(i);
                if (!multi && d == '\n') break; // unterminated: tomlj reports it
                if (text.startsWith(delimiter, i)) {
                    skip(delimiter.length());
                    break;
                }
                if (d == '\\' && quote == '"' && i + 1 < text.length() && text.charAt(i + 1) != '\n') {
                    skip(1); // the escaped character cannot close the string
                    length++;
                    d = text.charAt(i);
                }
                advance(d);
                if (++length > MAX_STRING_CHARS) {
                    throw new ConfigException(Reason.TOO_LARGE, name, startLine, startCol, "",
                            "a string longer than " + MAX_STRING_CHARS + " characters; no automesh value is"
                                    + " that long (is this the right file?)");
                }
            }
            significant += length + 2 * delimiter.length();
        }

        private void advance(char c) {
            i++;
            if (c == '\n') {
                line++;
                col = 1;
                lineStart = i;
                atLineStart = true;
            } else if (!Character.isLowSurrogate(c)) {
                col++;
            }
        }

        private void skip(int n) {
            i += n;
            col += n;
        }
    }
}
