/// A value kept in one shared heap box that is copied only when it is changed while shared:
/// copying the wrapper is one retain, whatever the value holds. `Alert` and `IncidentRecord`
/// keep their fields in one (they travel between threads and through several steps, and a copy
/// of their many strings and tables was a retain and a release of each).
///
/// The box's value is changed only through `value`'s `_modify`, which first makes the box
/// unique: no two threads ever reach one box's value for a change, so its accesses need no
/// run-time exclusivity checks (which would cost every read of a field a call into the runtime).
public struct CopyOnWrite<Value: Sendable>: Sendable {
    @usableFromInline final class Box: @unchecked Sendable {
        @exclusivity(unchecked) @usableFromInline var value: Value
        @usableFromInline init(_ value: Value) { self.value = value }
    }

    @usableFromInline var box: Box

    @inlinable public init(_ value: Value) { box = Box(value) }

    @inlinable public var value: Value {
        _read { yield box.value }
        _modify {
            if !isKnownUniquelyReferenced(&box) { box = Box(box.value) }
            yield &box.value
        }
    }

    /// Whether both share one box (then their values are equal without comparing them).
    @inlinable public func sharesBox(with other: Self) -> Bool { box === other.box }
}
