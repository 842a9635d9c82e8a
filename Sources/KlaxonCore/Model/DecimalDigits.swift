/// Writes `value` in decimal at `base` (at most 20 bytes: `-9223372036854775808`) and returns
/// how many bytes it wrote. For the writers that build JSON and HTTP answers in place, where
/// `String(value)` cost an allocation per number.
@inlinable
public func writeDecimal(_ value: Int, at base: UnsafeMutableRawPointer) -> Int {
    var m = value.magnitude
    var count = 0
    if value < 0 { base.storeBytes(of: UInt8(ascii: "-"), as: UInt8.self); count = 1 }
    var digits = 1, t = m
    while t >= 10 { t /= 10; digits += 1 }
    count += digits
    var at = count
    repeat {
        at -= 1
        base.storeBytes(of: UInt8(ascii: "0") + UInt8(m % 10), toByteOffset: at, as: UInt8.self)
        m /= 10
    } while m > 0
    return count
}
