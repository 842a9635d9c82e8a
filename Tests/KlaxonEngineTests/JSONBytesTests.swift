import Foundation
import Testing
import KlaxonCore
@testable import KlaxonEngine

/// `JSONBytes` writes into a buffer of its own and checks strings eight bytes at a time: every
/// character that needs an escape, at every offset of those eight-byte steps, reads back as it
/// was; the buffer grows from its own heap buffer and from a caller's stack buffer alike.
struct JSONBytesTests {
    static func written(_ body: (inout JSONBytes) -> Void) -> String {
        var w = JSONBytes(capacity: 16)
        body(&w)
        return String(decoding: w.finish(), as: UTF8.self)
    }

    @Test func everyEscapeAtEveryOffsetReadsBack() throws {
        let specials = ["\"", "\\", "\n", "\r", "\t", "\u{0}", "\u{1F}", "\u{7F}", "\u{2028}", "\u{2029}", "é", "€", "🚨", "\u{2027}"]
        for special in specials {
            for length in [7, 8, 9, 16, 17, 24, 40] {
                for at in 0...length {
                    let plain = String(repeating: "abcdefgh", count: 5)
                    let text = String(plain.prefix(at)) + special + String(plain.prefix(length - at))
                    let json = Self.written { $0.string(text) }
                    let back = try JSONDecoder().decode(String.self, from: Data(json.utf8))
                    #expect(back == text, "\(json)")
                    if special == "\u{2028}" || special == "\u{2029}" { #expect(json.contains("\\u202"), "\(json)") }
                }
            }
        }
    }

    @Test func plainTextIsCopiedAsIs() {
        for n in 0...33 {
            let text = String(repeating: "x", count: n) + "/ ~{}"
            #expect(Self.written { $0.string(text) } == "\"\(text)\"")
        }
    }

    @Test func integersAndNumbers() {
        #expect(Self.written { $0.int(0); $0.byte(32); $0.int(-7); $0.byte(32); $0.int(Int.min); $0.byte(32); $0.int(Int.max) }
                == "0 -7 \(Int.min) \(Int.max)")
        #expect(Self.written { $0.number(1.5); $0.byte(32); $0.number(-0.0); $0.byte(32); $0.number(1e300); $0.byte(32); $0.number(42) }
                == "1.5 -0 1e+300 42")
    }

    /// Numbers are written as `description` writes them (what the stored JSON always held).
    @Test(arguments: [0.1, 1795420800.123456, -1795420800.5, 1.7976931348623157e308, 5e-324, -2.2250738585072014e-308,
                      123456789.00000001, 0.000001, 1e-7, 1e15 + 0.5, 3.0e16, Double.pi])
    func numbersAsDescriptionWritesThem(_ d: Double) {
        #expect(Self.written { $0.number(d) } == d.description)
    }

    /// What does not fit the stack goes on in a String, in order.
    @Test func digitsPastTheStackKeepTheirOrder() {
        var out = DigitsOut()
        out.write("0123456789012345678901234567890")
        out.write("ab")
        out.write("cd")
        #expect(out.overflow == "0123456789012345678901234567890abcd")
        var short = DigitsOut()
        short.write("12")
        short.write("34")
        #expect(short.overflow == nil && short.count == 4)
    }

    @Test func growsPastItsBufferAndPastTheCallersStackBuffer() {
        let long = String(repeating: "0123456789", count: 100)
        #expect(Self.written { w in for _ in 0..<5 { w.string(long) } } == String(repeating: "\"\(long)\"", count: 5))
        var out: [UInt8] = Array("prefix:".utf8)
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 8) { stack in
            var w = JSONBytes(stack: stack)
            w.raw("{\"a\":")
            w.string(long)
            w.byte(UInt8(ascii: "}"))
            w.append(to: &out)
        }
        #expect(String(decoding: out, as: UTF8.self) == "prefix:{\"a\":\"\(long)\"}")
    }
}
