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
        new Scan(text, name).run();
    }

    /** One pass, tracking line and column (in code points, as tomlj counts) for the error. */
    private static final class Scan {
        private final String text;
        private final String name;
        private int i;
        private int line = 1;
        private int col = 1;
        private int significant;
        private int depth;

        Scan(String text, String name) {
            this.text = text;
            this.name = name;
        }

        void run() throws ConfigException {
            while (i < text.length()) {
                char c = text.charAt(i);
                if (c == '#') {
                    while (i < text.length() && text.charAt(i) != '\n') i++;
                    continue;
                }
                if (c == '"' || c == '\'') {
                    string(c);
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
                if (significant > MAX_SIGNIFICANT_CHARS) {
                    throw new ConfigException(Reason.TOO_LARGE, name, 1, 1, "", "has more than " + MAX_SIGNIFICANT_CHARS
                            + " characters outside comments, more than automesh parses within its memory"
                            + " (is this the right file? comments do not count)");
                }
            }
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
