import Foundation
import Testing
import KlaxonTestSupport
@testable import KlaxonConfig

/// The shipped configuration folder with one file mutated at a time (truncated, bytes changed,
/// lines cut, repeated or re-indented, values of the wrong type, YAML oddities such as anchors,
/// tags, flow collections left open and deep nesting inserted), loaded as `klaxon lint` and
/// `klaxon serve` load it. Every mutant either loads or is refused with errors that point at a
/// real line and column of a real file; none crashes or hangs the loader.
struct ConfigMutationTests {
    static let files: [(String, Int)] = [("klaxon.yaml", 60), ("Rotations/people.yaml", 40), ("Rotations/ml-platform.yaml", 60),
                                         ("Playbooks/model-serving-outage.yaml", 25), ("Playbooks/rag-context-corruption.yaml", 25),
                                         ("Playbooks/token-budget-exhaustion.yaml", 25)]

    static let bytes: [UInt8] = [0x00, 0x09, 0x0A, 0x20, 0x21, 0x22, 0x23, 0x26, 0x27, 0x2A, 0x2C, 0x2D, 0x3A, 0x3E, 0x3F, 0x40,
                                 0x5B, 0x5D, 0x60, 0x7B, 0x7C, 0x7D, 0x25, 0xC3, 0xFF, 0xEF]
    static let values = ["[]", "{}", "~", "-1", "0", "99999999999999999999", "\"unterminated", "'it''s'", "&anchor x", "*nowhere",
                         "!!binary aGVsbG8=", "!custom x", "P9", "25:61", "2026-02-30", "1e309", ".nan", "yes", "|", ">-",
                         String(repeating: "x", count: 10_000), "[a, b", "{a: 1", "\"\\u0000\"", "\"\\xZZ\""]
    static let lines = ["? complex key", "<<: *base", "---", "...", "%YAML 1.1", "- stray item", "key: [a, b", "foo: {a: 1",
                        String(repeating: "[", count: 10_000), "x: &a [1, 2]", "y: *a", "\t tab: indented", "people:", "steps:",
                        "  - {notify: [schedule:nowhere]}", "match: ['alertname =~ \"(\"']", "level: P7", "every: 0s",
                        "time_zone: Mars/Olympus", "handoff: \"Mon 25:00\""]

    static func mutate(_ text: [UInt8], _ r: inout SplitMix64) -> (String, [UInt8]) {
        var b = text
        var starts = [0]
        for (i, c) in b.enumerated() where c == 0x0A && i + 1 < b.count { starts.append(i + 1) }
        let line = r.below(starts.count)
        let lineStart = starts[line]
        let lineEnd = b[lineStart...].firstIndex(of: 0x0A).map { $0 + 1 } ?? b.count
        switch r.below(7) {
        case 0:
            let at = r.below(b.count + 1)
            return ("truncated at byte \(at)", Array(b[..<at]))
        case 1:
            let i = r.below(b.count), v = bytes[r.below(bytes.count)]
            b[i] = v
            return ("byte \(i) set to \(v)", b)
        case 2:
            b.removeSubrange(lineStart..<lineEnd)
            return ("line \(line + 1) cut", b)
        case 3:
            b.insert(contentsOf: b[lineStart..<lineEnd], at: lineEnd)
            return ("line \(line + 1) repeated", b)
        case 4:
            let indent = [" ", "  ", "\t", "   "][r.below(4)]
            if r.chance(50), b[lineStart..<lineEnd].first == 0x20 {
                b.remove(at: lineStart)
                return ("line \(line + 1) indented one less", b)
            }
            b.insert(contentsOf: Array(indent.utf8), at: lineStart)
            return ("line \(line + 1) indented more", b)
        case 5:
            guard let colon = b[lineStart..<lineEnd].firstIndex(of: 0x3A) else { return ("no colon on line \(line + 1)", b) }
            let end = b[lineEnd - 1] == 0x0A ? lineEnd - 1 : lineEnd
            let v = values[r.below(values.count)]
            b.replaceSubrange(min(colon + 1, end)..<end, with: Array((" " + v).utf8))
            return ("line \(line + 1)'s value set to \(v.prefix(20))", b)
        default:
            let l = lines[r.below(lines.count)]
            let indent = String(repeating: " ", count: 2 * r.below(4))
            b.insert(contentsOf: Array((indent + l + "\n").utf8), at: lineStart)
            return ("\(l.prefix(20)) inserted before line \(line + 1)", b)
        }
    }

    @Test(arguments: files.indices)
    func mutantsLoadOrPointAtARealPlace(_ index: Int) throws {
        let (file, count) = Self.files[index]
        let dir = NSTemporaryDirectory() + "klaxon-config-mutants-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        for part in ["klaxon.yaml", "Rotations", "Playbooks", "Templates"] {
            try FileManager.default.copyItem(atPath: repositoryRoot.path + "/" + part, toPath: dir + "/" + part)
        }
        let original = try [UInt8](Data(contentsOf: URL(fileURLWithPath: dir + "/" + file)))
        // The shipped folder loads.
        #expect(ConfigLoader(environment: [:]).load(configPath: dir + "/klaxon.yaml").errors.isEmpty)

        var r = SplitMix64(seed: UInt64(index + 1) &* 0x9E37_79B9)
        var refused = 0
        for _ in 0..<count {
            let (what, mutant) = Self.mutate(original, &r)
            try Data(mutant).write(to: URL(fileURLWithPath: dir + "/" + file))
            let result = ConfigLoader(environment: [:]).load(configPath: dir + "/klaxon.yaml")
            if result.errors.isEmpty {
                #expect(result.configuration != nil, "\(file), \(what): no errors and no configuration")
                continue
            }
            refused += 1
            for d in result.errors {
                let path = d.file.hasPrefix("/") ? d.file : dir + "/" + d.file
                let text = (try? Data(contentsOf: URL(fileURLWithPath: path))).map { [UInt8]($0) }
                #expect(text != nil, "\(file), \(what): error in a file that is not there: \(d)")
                let lineCount = (text ?? []).filter { $0 == 0x0A }.count + 1
                #expect(d.line >= 1 && d.line <= lineCount && d.column >= 1, "\(file), \(what): \(d) (the file has \(lineCount) lines)")
                #expect(!d.message.isEmpty, "\(file), \(what): an error without a message")
            }
        }
        // Most mutants are refused, and with a place to look.
        #expect(refused > count / 3, "\(file): only \(refused) of \(count) mutants refused")
    }

    /// libyaml names the line after the last one for an error at the end of input; Klaxon
    /// names the end of the last line, with or without a final newline.
    @Test(arguments: ["", "\n"])
    func anErrorAtTheEndOfAFilePointsAtItsLastLine(_ ending: String) throws {
        let folder = try ConfigFolder()
        let text = "people:\n  - {id: alice, name: Alice Ng, time_zone: Europe/Berlin" + ending
        try folder.write("Rotations/people.yaml", text)
        let (result, lines) = folder.load()
        #expect(!result.errors.isEmpty)
        #expect(lines.contains { $0.hasPrefix("Rotations/people.yaml:2:57: YAML syntax error") }, "\(lines)")
        #expect(ConfigLoader.place(line: 3, column: 1, in: text) == (2, 57))
        #expect(ConfigLoader.place(line: 1, column: 4, in: text) == (1, 4))
    }
}
