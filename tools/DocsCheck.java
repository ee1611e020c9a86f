import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Keeps the docs honest. Run with the JDK alone (single-file source program):
 *
 * <pre>
 *   java tools/DocsCheck.java          # check: exit 1 and say what is stale
 *   java tools/DocsCheck.java --fix    # rewrite the generated blocks in place
 * </pre>
 *
 * Four kinds of generated block live in docs/*.md and docs/zh-CN/*.md:
 * <ul>
 *   <li>{@code <!-- stage-diff: OLD NEW -->} ... {@code <!-- /stage-diff -->}: the "What changed" diffstat, exactly
 *       what {@code tools/stage-diff.sh --stat OLD NEW} prints (OLD may be {@code none});</li>
 *   <li>{@code <!-- snippet: path/to/File.java#tag -->} ... {@code <!-- /snippet -->}: the code between
 *       {@code // tag::tag[]} and {@code // end::tag[]} in that file, so an excerpt can never drift from the code;</li>
 *   <li>{@code <!-- bench: 5.,8. frame -->} ... {@code <!-- /bench -->}: the rows of the benchmark table in
 *       docs/benchmarks.md (between {@code <!-- bench-table -->} and {@code <!-- /bench-table -->}) whose figure
 *       starts with one of the comma-separated prefixes, with the table's machine line, so a chapter quotes the
 *       latest figures and never a stale copy;</li>
 *   <li>{@code <!-- promises: stage6-graceful-shutdown/checker.promise ... -->} ... {@code <!-- /promises -->}: the
 *       table of what each named promise file lets the delivery checker see (docs/checker.md), one column per
 *       file, so the docs say exactly what the checker enforces.</li>
 * </ul>
 *
 * It also checks that every section reference resolves: {@code docs/<chapter>.md, "<heading>"} (the form the code
 * and the docs use, the quoted text possibly on the next comment line; in Markdown also a link to a chapter followed
 * by the quoted heading, {@code [text](<chapter>.md), "<heading>"}) in the .java files under stage*&#47;, bench/,
 * checker/, testkit/, embedded-infra/ and tools/, in docs/*.md (outside generated blocks, whose source is checked)
 * and in the READMEs must name an existing file under docs/ with a heading ({@code #} to {@code ######}, outside code
 * fences) whose text is the quoted text, or starts with it followed by a colon ("Two more bounds" for "Two more
 * bounds: the login deadline and the slow reader"). A broken one is reported as file:line and fails the check; --fix
 * does not guess a repair, with one exception: a Chinese page that names an English heading of a Chinese page gets
 * the Chinese heading at the same position (the two pages have the same structure, see below).
 *
 * <p>Two languages: every page (README.md, docs/*.md, docs/answers/*.md) has a Chinese counterpart
 * (README.zh-CN.md, docs/zh-CN/..., the same names) and the other way round. Both start with a language switch
 * linking to each other (--fix writes it), and they have the same structure: the same heading levels in the same
 * order, the same generated-block markers, the same number of code blocks. The generated blocks of both come from
 * the same source (the Chinese benchmarks page shows the English page's table). So a change to an English page
 * that adds, removes or moves a section fails here until its Chinese page has the same change; a change inside a
 * section is the author's to carry over (same commit, by the rule in DESIGN.md).
 */
public final class DocsCheck {

    private static final Pattern BLOCK = Pattern.compile(
            "(<!-- (stage-diff|snippet|bench|promises): ([^>]*?) -->\\n)(.*?)(<!-- /\\2 -->)", Pattern.DOTALL);

    public static void main(String[] args) throws Exception {
        boolean fix = args.length > 0 && args[0].equals("--fix");
        Path root = Path.of(System.getProperty("user.dir"));
        Path docs = root.resolve("docs");
        List<String> problems = new ArrayList<>();
        int blocks = 0;
        List<Path> files = markdown(root);
        for (Path file : files) {
            String original = Files.readString(file, StandardCharsets.UTF_8);
            String text = original;
            if (file.equals(root.resolve(ZH).resolve("benchmarks.md"))) {
                text = mirrorBenchTable(root, text, problems);
            }
            Matcher m = BLOCK.matcher(text);
            StringBuilder out = new StringBuilder();
            while (m.find()) {
                blocks++;
                String kind = m.group(2);
                String arg = m.group(3).trim();
                String expected;
                try {
                    expected = switch (kind) {
                        case "stage-diff" -> stageDiff(root, arg);
                        case "bench" -> bench(root, arg);
                        case "promises" -> promises(root, arg);
                        default -> snippet(root, arg);
                    };
                } catch (IllegalStateException e) {
                    problems.add(root.relativize(file) + ": " + kind + " " + arg + ": " + e.getMessage());
                    m.appendReplacement(out, Matcher.quoteReplacement(m.group()));
                    continue;
                }
                if (!m.group(4).equals(expected)) {
                    problems.add(root.relativize(file) + ": " + kind + " " + arg + " is stale");
                }
                m.appendReplacement(out, Matcher.quoteReplacement(m.group(1) + expected + m.group(5)));
            }
            m.appendTail(out);
            if (fix && !out.toString().equals(original)) {
                Files.writeString(file, out.toString(), StandardCharsets.UTF_8);
            }
        }
        // The two languages: every page has its counterpart, a language switch, and the same structure.
        problems.addAll(languages(root, fix));
        // Broken section references are problems --fix cannot solve, like a snippet whose tag is gone (except in a
        // Chinese page that names an English heading: --fix puts the Chinese heading at the same place instead).
        List<String> broken = sectionReferences(root, fix);
        problems.addAll(broken);
        if (problems.isEmpty() || fix) {
            System.out.printf("docs check: %d generated blocks in %d files %s, %d section references checked%n",
                    blocks, files.size(), fix ? "rewritten" : "are current", sectionReferenceCount);
            problems.stream().filter(p -> !p.endsWith("is stale")).forEach(p -> System.out.println("  ! " + p));
            System.exit(problems.stream().anyMatch(p -> !p.endsWith("is stale")) ? 1 : 0);
        }
        problems.forEach(p -> System.out.println("  ! " + p));
        System.out.println(problems.stream().noneMatch(p -> p.endsWith("is stale"))
                ? "docs check failed: point each reference above at a heading of the file it names, give each page its"
                        + " counterpart in the other language, and keep their structure the same"
                : "docs check failed: run `java tools/DocsCheck.java --fix` and commit the result");
        System.exit(1);
    }

    /**
     * docs/<chapter>.md, "<heading>", or in Markdown a link to a chapter followed by the same: [text](<chapter>.md),
     * "<heading>" (the link's target relative to the file it is in). Then the comma, spaces, line breaks and comment
     * continuations, then the quoted heading, which may itself go on over the next comment line.
     */
    private static final Pattern SECTION_REF = Pattern.compile(
            "(?:docs/([A-Za-z0-9_-]+(?:\\.md)?)|\\]\\(((?:\\.\\./)*(?:docs/)?[A-Za-z0-9_-]+\\.md)\\)),"
                    + "(?:\\s|\\*|//)*\"([^\"]{1,200})\"");

    private static int sectionReferenceCount;

    private static final Pattern LINE_BREAK = Pattern.compile("\\s*\\n\\s*(?:\\*(?!/)|//)?\\s*");

    private static final Pattern HEADING = Pattern.compile("^#{1,6}\\s+(.*?)\\s*$");

    /** Every section reference that names no file or no heading in it, as "file:line: what is wrong". */
    private static List<String> sectionReferences(Path root, boolean fix) throws IOException {
        List<Path> sources = new ArrayList<>();
        try (Stream<Path> s = Files.list(root)) {
            for (Path dir : s.filter(Files::isDirectory).sorted().toList()) {
                String name = dir.getFileName().toString();
                if (name.startsWith("stage") || List.of("bench", "checker", "testkit", "embedded-infra", "tools")
                        .contains(name)) {
                    try (Stream<Path> w = Files.walk(dir)) {
                        w.filter(p -> !root.relativize(p).toString().contains("/target/"))
                                .filter(p -> p.toString().endsWith(".java") || p.getFileName().toString()
                                        .equals("README.md"))
                                .sorted().forEach(sources::add);
                    }
                }
            }
        }
        sources.addAll(markdown(root));
        java.util.Map<String, List<String>> headings = new java.util.HashMap<>();
        List<String> broken = new ArrayList<>();
        for (Path source : sources) {
            String original = Files.readString(source, StandardCharsets.UTF_8);
            String text = original;
            java.util.Map<String, String> translated = new java.util.HashMap<>();
            if (source.toString().endsWith(".md")) {
                // A generated block repeats code whose references are checked in the code; blank it, keep its lines.
                Matcher b = BLOCK.matcher(text);
                StringBuilder out = new StringBuilder();
                while (b.find()) {
                    b.appendReplacement(out, Matcher.quoteReplacement(b.group().replaceAll("[^\\n]", "")));
                }
                text = b.appendTail(out).toString();
            }
            Matcher m = SECTION_REF.matcher(text);
            while (m.find()) {
                sectionReferenceCount++;
                Path doc = m.group(1) != null ? root.resolve("docs").resolve(m.group(1))
                        : source.getParent().resolve(m.group(2)).normalize();
                String file = root.relativize(doc).toString();
                String heading = LINE_BREAK.matcher(m.group(3)).replaceAll(" ").strip();
                String where = root.relativize(source) + ":" + (text.substring(0, m.start()).chars()
                        .filter(c -> c == '\n').count() + 1);
                Path dir = doc.getParent();
                if (!(dir.equals(root.resolve("docs")) || dir.equals(root.resolve("docs/answers"))
                        || dir.equals(root.resolve(ZH)) || dir.equals(root.resolve(ZH).resolve("answers")))
                        || !Files.isRegularFile(doc)) {
                    broken.add(where + ": " + file + " is not a file under docs/ (name it docs/<chapter>.md)");
                    continue;
                }
                List<String> known = headings.computeIfAbsent(file, f -> headingsOf(doc));
                if (known.stream().anyMatch(h -> names(h, heading))) {
                    continue;
                }
                // A Chinese page may name the English heading: the Chinese heading at the same place replaces it.
                String zh = null;
                Path english = doc.startsWith(root.resolve(ZH)) ? counterpart(root, doc) : null;
                if (english != null && Files.isRegularFile(english)) {
                    List<String> en = headingsOf(english);
                    for (int i = 0; i < en.size() && i < known.size(); i++) {
                        if (names(en.get(i), heading) && en.size() == known.size()) {
                            zh = known.get(i);
                            break;
                        }
                    }
                }
                if (zh != null && fix) {
                    translated.put(file + "\n" + heading, zh);
                } else {
                    broken.add(where + ": " + file + " has no heading \"" + heading + "\""
                            + (zh != null ? " (--fix puts its Chinese heading \"" + zh + "\" there)" : ""));
                }
            }
            if (!translated.isEmpty()) {
                Matcher r = SECTION_REF.matcher(original);
                StringBuilder out = new StringBuilder();
                while (r.find()) {
                    Path doc = r.group(1) != null ? root.resolve("docs").resolve(r.group(1))
                            : source.getParent().resolve(r.group(2)).normalize();
                    String zh = translated.get(root.relativize(doc) + "\n"
                            + LINE_BREAK.matcher(r.group(3)).replaceAll(" ").strip());
                    String replacement = zh == null ? r.group()
                            : r.group().substring(0, r.start(3) - r.start()) + zh + "\"";
                    r.appendReplacement(out, Matcher.quoteReplacement(replacement));
                }
                Files.writeString(source, r.appendTail(out).toString(), StandardCharsets.UTF_8);
            }
        }
        return broken;
    }

    /** A heading names a quoted section when it is the quoted text, or starts with it and a colon. */
    private static boolean names(String heading, String quoted) {
        return heading.equals(quoted) || heading.startsWith(quoted + ":") || heading.startsWith(quoted + "：");
    }

    /** Where the Chinese pages live: the same names as under docs/, the README's is README.zh-CN.md. */
    private static final String ZH = "docs/zh-CN";

    /** Every page in both languages: the READMEs, docs/ and docs/answers/, and their Chinese counterparts. */
    private static List<Path> markdown(Path root) throws IOException {
        List<Path> pages = new ArrayList<>();
        for (String dir : List.of("docs", "docs/answers", ZH, ZH + "/answers")) {
            Path d = root.resolve(dir);
            if (Files.isDirectory(d)) {
                try (Stream<Path> s = Files.list(d)) {
                    s.filter(p -> p.toString().endsWith(".md")).sorted().forEach(pages::add);
                }
            }
        }
        for (String readme : List.of("README.md", "README.zh-CN.md")) {
            if (Files.isRegularFile(root.resolve(readme))) {
                pages.add(root.resolve(readme));
            }
        }
        return pages;
    }

    /** The page in the other language: docs/X.md and docs/zh-CN/X.md, README.md and README.zh-CN.md. */
    private static Path counterpart(Path root, Path page) {
        Path rel = root.relativize(page);
        if (rel.toString().equals("README.md")) {
            return root.resolve("README.zh-CN.md");
        }
        if (rel.toString().equals("README.zh-CN.md")) {
            return root.resolve("README.md");
        }
        Path zh = root.resolve(ZH);
        return page.startsWith(zh) ? root.resolve("docs").resolve(zh.relativize(page))
                : zh.resolve(root.resolve("docs").relativize(page));
    }

    /**
     * The Chinese pages keep in step with the English ones: each page has its counterpart, starts with a language
     * switch linking to it (--fix writes the switch), and has the same structure: the same heading levels in the
     * same order, the same generated blocks, the same number of code blocks. What a translation says is for a
     * reader to judge; that it covers every section of the English page, and no more, is checked here.
     */
    private static List<String> languages(Path root, boolean fix) throws IOException {
        List<String> problems = new ArrayList<>();
        for (Path page : markdown(root)) {
            String rel = root.relativize(page).toString();
            boolean chinese = rel.startsWith(ZH) || rel.equals("README.zh-CN.md");
            Path other = counterpart(root, page);
            if (!Files.isRegularFile(other)) {
                problems.add(rel + ": has no " + (chinese ? "English" : "Chinese") + " counterpart "
                        + root.relativize(other) + " (translate it; docs/zh-CN/ mirrors docs/)");
                continue;
            }
            String link = page.getParent().relativize(other).toString().replace('\\', '/');
            String expected = chinese ? "[English](" + link + ") | **中文**" : "**English** | [中文](" + link + ")";
            String text = Files.readString(page, StandardCharsets.UTF_8);
            String first = text.lines().findFirst().orElse("");
            if (!first.equals(expected)) {
                if (fix) {
                    boolean isSwitch = first.contains("[English](") || first.contains("[中文](");
                    text = expected + "\n" + (isSwitch ? text.substring(Math.min(text.length(), first.length() + 1))
                            : "\n" + text);
                    Files.writeString(page, text, StandardCharsets.UTF_8);
                } else {
                    problems.add(rel + ":1: the language switch should be: " + expected + " (is stale)");
                }
            }
            if (chinese) {
                String typeset = typography(text);
                if (!typeset.equals(text)) {
                    if (fix) {
                        Files.writeString(page, typeset, StandardCharsets.UTF_8);
                    } else {
                        problems.add(rel + ": Chinese typography (full-width punctuation, unwrapped lines) is stale");
                    }
                }
                continue;
            }
            List<String> a = structure(page);
            List<String> b = structure(other);
            for (int i = 0; i < Math.max(a.size(), b.size()); i++) {
                String x = i < a.size() ? a.get(i) : "(nothing)";
                String y = i < b.size() ? b.get(i) : "(nothing)";
                if (!x.replaceAll(" @\\d+$", "").equals(y.replaceAll(" @\\d+$", ""))) {
                    problems.add(rel + " and " + root.relativize(other) + " differ in structure: " + x + " vs " + y
                            + " (headings, generated blocks and code blocks must match, in order)");
                    break;
                }
            }
        }
        return problems;
    }

    /** A page's skeleton: "h2 @line" per heading, each generated block's marker, "code @line" per code block. */
    private static List<String> structure(Path page) throws IOException {
        List<String> items = new ArrayList<>();
        boolean fenced = false;
        int n = 0;
        for (String line : Files.readAllLines(page, StandardCharsets.UTF_8)) {
            n++;
            if (line.stripLeading().startsWith("```")) {
                if (!fenced) {
                    items.add("code block @" + n);
                }
                fenced = !fenced;
                continue;
            }
            if (fenced) {
                continue;
            }
            Matcher h = HEADING.matcher(line);
            if (h.matches()) {
                items.add("h" + line.indexOf(' ') + " @" + n);
            } else if (line.startsWith("<!-- ") && line.endsWith(" -->")) {
                items.add(line + " @" + n);
            }
        }
        return items;
    }

    private static final Pattern GENERATED_OPEN = Pattern.compile(
            "<!-- (stage-diff|snippet|bench|promises): .*-->|<!-- bench-table -->");

    private static final Pattern LIST_ITEM = Pattern.compile("^\\s*(?:[-*+]|\\d+\\.)\\s.*");

    /** Chinese characters and the full-width punctuation that goes with them. */
    private static boolean chinese(int c) {
        return Character.UnicodeScript.of(c) == Character.UnicodeScript.HAN || "，。、：；？！（）“”《》「」".indexOf(c) >= 0;
    }

    /**
     * Chinese typography for a Chinese page's prose (code, generated blocks and HTML comments are left alone):
     * a line break inside a paragraph between two Chinese characters is removed (a browser shows it as a space),
     * and , : ; ? ! ( ) next to Chinese text become their full-width forms (，：；？！（）). Idempotent.
     */
    static String typography(String text) {
        List<String> out = new ArrayList<>();
        List<Boolean> typeset = new ArrayList<>();
        boolean fenced = false;
        String block = null;
        boolean prose = false;
        for (String line : text.split("\n", -1)) {
            String t = line.strip();
            Matcher g = GENERATED_OPEN.matcher(t);
            boolean code = block != null || fenced || t.startsWith("```") || t.startsWith("<");
            if (block != null && t.startsWith("<!-- /" + block)) {
                block = null;
            } else if (t.startsWith("```") && block == null) {
                fenced = !fenced;
            } else if (!fenced && block == null && g.matches()) {
                block = g.group(1) != null ? g.group(1) + " -->" : "bench-table -->";
            }
            if (code) {
                out.add(line);
                typeset.add(false);
                prose = false;
                continue;
            }
            boolean heading = HEADING.matcher(line).matches();
            String previous = prose ? out.get(out.size() - 1) : null;
            boolean quoted = t.startsWith(">");
            String body = quoted ? t.substring(1).strip() : t;
            if (previous != null && !t.isEmpty() && !heading && !t.startsWith("|") && !LIST_ITEM.matcher(line).matches()
                    && quoted == previous.strip().startsWith(">") && !previous.endsWith("  ")
                    && !previous.endsWith("\\")) {
                String a = punctuate(previous, true);
                String b = punctuate(body, true);
                if (chinese(a.codePointBefore(a.length())) && chinese(b.codePointAt(0))) {
                    out.set(out.size() - 1, previous + body);
                    continue;
                }
            }
            out.add(line);
            typeset.add(!heading);
            prose = !t.isEmpty() && !heading && !t.startsWith("|");
            if (heading) {
                out.set(out.size() - 1, punctuate(line, false));
            }
        }
        for (int i = 0; i < out.size(); i++) {
            if (typeset.get(i)) {
                out.set(i, punctuate(out.get(i), true));
            }
        }
        return String.join("\n", out);
    }

    /** Full-width , : ; ? ! ( ) next to Chinese text, outside `code`, "quotes" and link targets; tight spacing. */
    private static String punctuate(String line, boolean tighten) {
        int n = line.length();
        boolean[] kept = new boolean[n];
        for (int i = 0; i < n; i++) {
            char c = line.charAt(i);
            if (c == '`') {
                int run = i;
                while (run < n && line.charAt(run) == '`') {
                    run++;
                }
                String fence = line.substring(i, run);
                int close = line.indexOf(fence, run);
                // A span that goes on past the line's end: keep the rest of the line as it is too.
                int end = close < 0 ? n : close + fence.length();
                for (int k = i; k < end; k++) {
                    kept[k] = true;
                }
                i = end - 1;
            } else if (c == ']' && i + 1 < n && line.charAt(i + 1) == '(') {
                int close = line.indexOf(')', i + 1);
                for (int k = i; k <= (close < 0 ? i + 1 : close); k++) {
                    kept[k] = true;
                }
                i = close < 0 ? i + 1 : close;
            } else if (c == '"' && line.indexOf('"', i + 1) > 0) {
                // A quoted heading (a section reference) must stay the heading's exact text.
                int close = line.indexOf('"', i + 1);
                for (int k = i; k <= close; k++) {
                    kept[k] = true;
                }
                i = close;
            } else if (c == '<' && line.indexOf('>', i) > 0) {
                int close = line.indexOf('>', i);
                for (int k = i; k <= close; k++) {
                    kept[k] = true;
                }
                i = close;
            }
        }
        char[] chars = line.toCharArray();
        boolean[] changed = new boolean[n];
        java.util.ArrayDeque<Integer> open = new java.util.ArrayDeque<>();
        for (int i = 0; i < n; i++) {
            if (kept[i]) {
                continue;
            }
            char c = chars[i];
            if (c == '(') {
                open.push(i);
            } else if (c == ')' && !open.isEmpty()) {
                int o = open.pop();
                boolean inside = line.substring(o + 1, i).codePoints().anyMatch(DocsCheck::chinese);
                if (inside || chinese(neighbour(line, o, -1)) || chinese(neighbour(line, i, 1))) {
                    chars[o] = '（';
                    chars[i] = '）';
                    changed[o] = true;
                    changed[i] = true;
                }
            } else if (",:;?!".indexOf(c) >= 0 && !(c == '!' && i + 1 < n && chars[i + 1] == '[')) {
                int before = neighbour(line, i, -1);
                int after = neighbour(line, i, 1);
                boolean number = Character.isDigit(before) && Character.isDigit(after);
                if (!number && (chinese(before) || chinese(after))) {
                    chars[i] = "，：；？！".charAt(",:;?!".indexOf(c));
                    changed[i] = true;
                }
            }
        }
        StringBuilder b = new StringBuilder();
        int indent = line.length() - line.stripLeading().length();
        for (int i = 0; i < n; i++) {
            boolean space = chars[i] == ' ' && i >= indent && tighten && !kept[i];
            if (space && ((i + 1 < n && changed[i + 1]) || (b.length() > 0 && isFullWidth(b.charAt(b.length() - 1))
                    && i > 0 && changed[i - 1]))) {
                continue;
            }
            b.append(chars[i]);
        }
        return b.toString();
    }

    private static boolean isFullWidth(char c) {
        return "，：；？！（）".indexOf(c) >= 0;
    }

    /** The nearest character that is not a space, before (-1) or after (1) position i; 0 at the line's end. */
    private static int neighbour(String line, int i, int direction) {
        for (int k = i + direction; k >= 0 && k < line.length(); k += direction) {
            if (line.charAt(k) != ' ') {
                return line.charAt(k);
            }
        }
        return 0;
    }

    /** The Chinese benchmarks page shows the English page's table, the one source of the figures. */
    private static String mirrorBenchTable(Path root, String text, List<String> problems) throws IOException {
        String md = Files.readString(root.resolve("docs/benchmarks.md"), StandardCharsets.UTF_8);
        String open = "<!-- bench-table -->";
        String close = "<!-- /bench-table -->";
        int s = md.indexOf(open);
        int e = md.indexOf(close);
        int zs = text.indexOf(open);
        int ze = text.indexOf(close);
        if (s < 0 || e < s || zs < 0 || ze < zs) {
            problems.add(ZH + "/benchmarks.md: needs the table's markers " + open + " ... " + close);
            return text;
        }
        String table = md.substring(s, e);
        if (!text.substring(zs, ze).equals(table)) {
            problems.add(ZH + "/benchmarks.md: bench-table is stale");
            return text.substring(0, zs) + table + text.substring(ze);
        }
        return text;
    }

    /** The text of every Markdown heading in a file, skipping fenced code (where # starts a shell comment). */
    private static List<String> headingsOf(Path doc) {
        List<String> found = new ArrayList<>();
        boolean fenced = false;
        try {
            for (String line : Files.readAllLines(doc, StandardCharsets.UTF_8)) {
                if (line.stripLeading().startsWith("```")) {
                    fenced = !fenced;
                    continue;
                }
                Matcher h = HEADING.matcher(line);
                if (!fenced && h.matches()) {
                    found.add(h.group(1));
                }
            }
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        return found;
    }

    private static String stageDiff(Path root, String arg) throws IOException, InterruptedException {
        String[] stages = arg.split("\\s+");
        if (stages.length != 2) {
            throw new IllegalStateException("expected two stage names");
        }
        Process p = new ProcessBuilder("bash", root.resolve("tools/stage-diff.sh").toString(), "--stat",
                stages[0], stages[1]).directory(root.toFile()).redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (p.waitFor() != 0) {
            throw new IllegalStateException("stage-diff.sh failed: " + output.strip());
        }
        return "```text\n" + output + "```\n";
    }

    private static String bench(Path root, String arg) throws IOException {
        String md = Files.readString(root.resolve("docs/benchmarks.md"), StandardCharsets.UTF_8);
        int start = md.indexOf("<!-- bench-table -->");
        int end = md.indexOf("<!-- /bench-table -->");
        if (start < 0 || end < start) {
            throw new IllegalStateException("docs/benchmarks.md has no <!-- bench-table --> ... <!-- /bench-table -->");
        }
        List<String> lines = md.substring(start, end).lines().toList();
        String machine = lines.stream().filter(l -> l.startsWith("Machine:")).findFirst()
                .orElseThrow(() -> new IllegalStateException("the benchmark table has no Machine: line"));
        List<String> head = lines.stream().filter(l -> l.startsWith("| figure") || l.startsWith("|---")).toList();
        List<String> rows = new ArrayList<>();
        for (String line : lines) {
            for (String prefix : arg.split(",")) {
                if (line.startsWith("| " + prefix.trim()) && !rows.contains(line)) {
                    rows.add(line);
                }
            }
        }
        if (rows.isEmpty() || head.size() != 2) {
            throw new IllegalStateException("no benchmark rows start with " + arg);
        }
        return machine + "\n\n" + String.join("\n", head) + "\n" + String.join("\n", rows) + "\n";
    }

    /** The classes a promise file judges, in the order the table shows them, with what an unlisted one means. */
    private static final String[][] CLASSES = {
        {"lost-acked", "none"}, {"duplicated", "none"}, {"out-of-order", "none"}, {"rejected-delivered", "none"},
        {"lost-unanswered", "none"}, {"rejected", "any"}, {"foreign", "none"}};

    private static String promises(Path root, String arg) throws IOException {
        List<String> files = List.of(arg.split("\\s+"));
        StringBuilder head = new StringBuilder("| may be non-zero under |");
        StringBuilder rule = new StringBuilder("|---|");
        List<java.util.Map<String, String>> parsed = new ArrayList<>();
        for (String file : files) {
            Path path = root.resolve(file);
            if (!Files.isRegularFile(path)) {
                throw new IllegalStateException("no promise file " + file);
            }
            java.util.Map<String, String> keys = new java.util.HashMap<>();
            for (String line : Files.readAllLines(path, StandardCharsets.UTF_8)) {
                String l = line.replaceAll("#.*", "").trim();
                int eq = l.indexOf('=');
                if (eq > 0) {
                    keys.put(l.substring(0, eq).trim(), l.substring(eq + 1).trim());
                }
            }
            parsed.add(keys);
            String name = path.getFileName().toString().equals("checker.promise")
                    ? path.getParent().getFileName().toString() : "the article's design (naive)";
            head.append(' ').append(name).append(" |");
            rule.append("---|");
        }
        StringBuilder table = new StringBuilder(head).append('\n').append(rule).append('\n');
        for (String[] c : CLASSES) {
            table.append("| ").append(c[0]).append(" |");
            for (java.util.Map<String, String> keys : parsed) {
                String value = keys.getOrDefault(c[0], c[1]);
                table.append(' ').append(switch (value) {
                    case "none" -> "never";
                    case "any" -> "always";
                    default -> value;
                }).append(" |");
            }
            table.append('\n');
        }
        return table.toString();
    }

    private static String snippet(Path root, String arg) throws IOException {
        int hash = arg.lastIndexOf('#');
        if (hash < 0) {
            throw new IllegalStateException("expected path#tag");
        }
        Path source = root.resolve(arg.substring(0, hash));
        String tag = arg.substring(hash + 1);
        if (!Files.isRegularFile(source)) {
            throw new IllegalStateException("no such file");
        }
        List<String> lines = Files.readAllLines(source, StandardCharsets.UTF_8);
        int start = -1;
        int end = -1;
        for (int i = 0; i < lines.size(); i++) {
            String t = lines.get(i).trim();
            if (t.equals("// tag::" + tag + "[]")) {
                start = i + 1;
            } else if (t.equals("// end::" + tag + "[]") && start >= 0) {
                end = i;
                break;
            }
        }
        if (start < 0 || end < 0) {
            throw new IllegalStateException("no region // tag::" + tag + "[] ... // end::" + tag + "[]");
        }
        List<String> region = lines.subList(start, end);
        int indent = region.stream().filter(l -> !l.isBlank())
                .mapToInt(l -> l.length() - l.stripLeading().length()).min().orElse(0);
        StringBuilder body = new StringBuilder();
        for (String line : region) {
            body.append(line.isBlank() ? "" : line.substring(indent)).append('\n');
        }
        String lang = source.toString().endsWith(".proto") ? "protobuf" : "java";
        return "```" + lang + "\n" + body + "```\n";
    }
}
