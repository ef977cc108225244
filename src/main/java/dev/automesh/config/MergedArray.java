package dev.automesh.config;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.tomlj.TomlArray;
import org.tomlj.TomlPosition;
import org.tomlj.TomlTable;

/**
 * An array of the assembled document, with positions in the whole file: either an array of tables
 * that [[headers]] append to, or a literal array copied from one section's parse.
 */
final class MergedArray implements TomlArray {
    private final List<Object> values = new ArrayList<>();
    private final List<TomlPosition> positions = new ArrayList<>();
    private final boolean tableArray;

    MergedArray(boolean tableArray) {
        this.tableArray = tableArray;
    }

    /** Appended to by [[headers]]; a literal array never is. */
    boolean isTableArray() {
        return tableArray;
    }

    void append(Object value, TomlPosition position) {
        values.add(value);
        positions.add(position);
    }

    @Override
    public int size() {
        return values.size();
    }

    @Override
    public boolean isEmpty() {
        return values.isEmpty();
    }

    private boolean all(Class<?> type) {
        if (values.isEmpty()) return false;
        for (Object v : values) if (!type.isInstance(v)) return false;
        return true;
    }

    @Override
    public boolean containsStrings() {
        return all(String.class);
    }

    @Override
    public boolean containsLongs() {
        return all(Long.class);
    }

    @Override
    public boolean containsDoubles() {
        return all(Double.class);
    }

    @Override
    public boolean containsBooleans() {
        return all(Boolean.class);
    }

    @Override
    public boolean containsOffsetDateTimes() {
        return all(java.time.OffsetDateTime.class);
    }

    @Override
    public boolean containsLocalDateTimes() {
        return all(java.time.LocalDateTime.class);
    }

    @Override
    public boolean containsLocalDates() {
        return all(java.time.LocalDate.class);
    }

    @Override
    public boolean containsLocalTimes() {
        return all(java.time.LocalTime.class);
    }

    @Override
    public boolean containsArrays() {
        return all(TomlArray.class);
    }

    @Override
    public boolean containsTables() {
        return all(TomlTable.class);
    }

    @Override
    public Object get(int index) {
        return values.get(index);
    }

    @Override
    public TomlPosition inputPositionOf(int index) {
        return positions.get(index);
    }

    @Override
    public List<Object> toList() {
        return Collections.unmodifiableList(values);
    }
}
