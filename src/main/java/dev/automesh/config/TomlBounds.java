package dev.automesh.config;

import dev.automesh.config.ConfigException.Reason;

/**
 * Refuses, before tomlj sees it, a file that tomlj could not parse within the agent's heap or stack,
 * so that `automesh check` (any heap) and the agent (the unit's -Xmx48m -Xss256k) accept the same
 * files. tomlj's ANTLR lexer keeps a token for nearly every character outside comments and spaces
 * (each character of a string too): measured under the unit's flags, 130 K characters of one string
 * or of a dense array exhaust 48 MB, while a megabyte of comments costs nothing. The caps below leave
 * a factor of two. A 400-peer config with names and endpoints has about 55 K such characters.
 */
final class TomlBounds {
    private TomlBounds() {}

    /** Characters outside comments, spaces and tabs (string contents and newlines included). */
    static final int MAX_SIGNIFICANT_CHARS = 64 * 1024;
    /** No automesh value comes near: keys are 44, paths at most 4096, host names 253. */
    static final int MAX_STRING_CHARS = 16 * 1024;
    /** tomlj parses nesting recursively; real configs nest two deep. */
    static final int MAX_DEPTH = 32;

    /** @throws ConfigException TOO_LARGE at the offending string, or at 1:1 for the whole file */
    static void check(String text, String name) throws ConfigException {
        int line = 1;
        int col = 1;
        int significant = 0;
        int depth = 0;
        int n = text.length();
        int i = 0;
        while (i < n) {
            char c = text.charAt(i);
            if (c == '#') {
                while (i < n && text.charAt(i) != '\n') i++;
                continue;
            }
            if (c == '"' || c == '\'') {
                boolean multi = text.startsWith(c == '"' ? "\"\"\"" : "'''", i);
                int startLine = line;
                int startCol = col;
                String delimiter = String.valueOf(c).repeat(multi ? 3 : 1);
                int open = delimiter.length();
                i += open;
                col += open;
                int length = 0;
                while (i < n) {
                    char d = text.charAt(i);
                    if (!multi && d == '\n') break; // unterminated: tomlj reports it
                    if (text.startsWith(delimiter, i)) {
                        i += open;
                        col += open;
                        break;
                    }
                    if (d == '\\' && c == '"' && i + 1 < n && text.charAt(i + 1) != '\n') {
                        i++;
                        col++;
                        length++;
                    }
                    if (d == '\n') {
                        line++;
                        col = 0;
                    }
                    if (!Character.isLowSurrogate(d)) col++;
                    length++;
                    i++;
                    if (length > MAX_STRING_CHARS) {
                        throw new ConfigException(Reason.TOO_LARGE, name, startLine, startCol, "",
                                "a string longer than " + MAX_STRING_CHARS + " characters; no automesh value is"
                                        + " that long (is this the right file?)");
                    }
                }
                significant += length + 2 * open;
            } else {
                if (c == '\n') {
                    line++;
                    col = 0;
                } else if (c == '[' || c == '{') {
                    if (++depth > MAX_DEPTH) {
                        // Same words as when the parser's own stack runs out.
                        throw new ConfigException(Reason.TOO_LARGE, name, 0, 0, "", "nests arrays or tables too deeply to parse");
                    }
                } else if (c == ']' || c == '}') {
                    depth = Math.max(0, depth - 1);
                }
                if (c != ' ' && c != '\t') significant++;
                if (!Character.isLowSurrogate(c)) col++;
                i++;
            }
            if (significant > MAX_SIGNIFICANT_CHARS) {
                throw new ConfigException(Reason.TOO_LARGE, name, 1, 1, "", "has more than " + MAX_SIGNIFICANT_CHARS
                        + " characters outside comments, more than automesh parses within its memory"
                        + " (is this the right file? comments do not count)");
            }
        }
    }
}
