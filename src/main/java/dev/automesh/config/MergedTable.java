package dev.automesh.config;

import java.util.AbstractMap;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.tomlj.TomlPosition;
import org.tomlj.TomlTable;

/**
 * A table of the document {@link TomlSections} assembles from separately parsed sections, with
 * positions in the whole file. {@code definedAt} is null for a table only implied by a longer
 * header ({@code [a]} implied by {@code [a.b]}), which a later {@code [a]} may still define.
 */
final class MergedTable implements TomlTable {
    /** A value and where its key = value (or header) starts. */
    record Element(Object value, TomlPosition position) {}

    private final Map<String, Element> properties = new LinkedHashMap<>();
    private TomlPosition definedAt;

    MergedTable(TomlPosition definedAt) {
        this.definedAt = definedAt;
    }

    TomlPosition definedAt() {
        return definedAt;
    }

    void define(TomlPosition at) {
        definedAt = at;
    }

    Element element(String key) {
        return properties.get(key);
    }

    void put(String key, Object value, TomlPosition position) {
        properties.put(key, new Element(value, position));
    }

    @Override
    public int size() {
        return properties.size();
    }

    @Override
    public boolean isEmpty() {
        return properties.isEmpty();
    }

    @Override
    public Set<String> keySet() {
        return Collections.unmodifiableSet(properties.keySet());
    }

    @Override
    public Set<List<String>> keyPathSet(boolean includeTables) {
        Set<List<String>> out = new LinkedHashSet<>();
        for (Map.Entry<List<String>, Object> e : entryPathSet(includeTables)) out.add(e.getKey());
        return out;
    }

    @Override
    public Set<Map.Entry<String, Object>> entrySet() {
        Set<Map.Entry<String, Object>> out = new LinkedHashSet<>();
        properties.forEach((k, e) -> out.add(new AbstractMap.SimpleImmutableEntry<>(k, e.value())));
        return out;
    }

    @Override
    public Set<Map.Entry<List<String>, Object>> entryPathSet(boolean includeTables) {
        Set<Map.Entry<List<String>, Object>> out = new LinkedHashSet<>();
        properties.forEach((k, e) -> {
            if (!(e.value() instanceof TomlTable t)) {
                out.add(new AbstractMap.SimpleImmutableEntry<>(List.of(k), e.value()));
                return;
            }
            if (includeTables) out.add(new AbstractMap.SimpleImmutableEntry<>(List.of(k), t));
            for (Map.Entry<List<String>, Object> sub : t.entryPathSet(includeTables)) {
                List<String> path = new ArrayList<>(sub.getKey().size() + 1);
                path.add(k);
                path.addAll(sub.getKey());
                out.add(new AbstractMap.SimpleImmutableEntry<>(List.copyOf(path), sub.getValue()));
            }
        });
        return out;
    }

    @Override
    public Object get(List<String> path) {
        if (path.isEmpty()) return this;
        Element e = lookup(path);
        return e == null ? null : e.value();
    }

    @Override
    public TomlPosition inputPositionOf(List<String> path) {
        if (path.isEmpty()) return TomlPosition.positionAt(1, 1);
        Element e = lookup(path);
        return e == null ? null : e.position();
    }

    /** Dotted paths go through tables only, as tomlj's own tables do (not into arrays). */
    private Element lookup(List<String> path) {
        TomlTable t = this;
        for (int i = 0; i < path.size() - 1; i++) {
            Object next = t.get(List.of(path.get(i)));
            if (!(next instanceof TomlTable nt)) return null;
            t = nt;
        }
        if (t instanceof MergedTable m) return m.properties.get(path.get(path.size() - 1));
        Object v = t.get(List.of(path.get(path.size() - 1)));
        return v == null ? null : new Element(v, t.inputPositionOf(List.of(path.get(path.size() - 1))));
    }

    @Override
    public Map<String, Object> toMap() {
        Map<String, Object> out = new LinkedHashMap<>();
        properties.forEach((k, e) -> out.put(k, e.value()));
        return out;
    }
}
