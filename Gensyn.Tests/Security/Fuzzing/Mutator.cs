using System.Text;

namespace Gensyn.Tests.Security.Fuzzing;

/// <summary>
/// Seeded mutations of text and bytes, the way a hostile party edits a valid input: flip, drop, repeat and splice pieces, and
/// put in the tokens that hurt parsers (deep nesting, anchors, huge and non-finite numbers, paths that climb out, control bytes).
/// The same seed gives the same inputs, so a failure names its seed and can be replayed.
/// </summary>
public sealed class Mutator(int seed)
{
    public Random Random { get; } = new(seed);

    private static readonly string[] Tokens =
    [
        "[", "]", "{", "}", ":", ",", "-", "&a", "*a", "!!binary", "!!python/object", "<<: *a", "? ", "|", ">", "'", "\"", "#", "\t", "\n", "\r\n",
        "NaN", ".nan", ".inf", "-.inf", "-1", "0", "1e308", "-1e308", "4294967296", "9223372036854775808", "1e-320", "0x7fffffff",
        "/etc/passwd", "../../../../etc/shadow", "/dev/zero", "~/.ssh/id_rsa", "..", "/", "\0", "\u202e", "\uffff", "%x%n",
        "rounds: 1000000000", "shards: 100000", "hidden: [65536, 65536, 65536]", "samples: 10000000", "features: 100000",
        "weights: /etc/hostname", "paths: [/]", "format: text", "token: USDC", "max-total: -5", "lr: .nan", "seed: -1",
    ];

    public string MutateText(string text)
    {
        var s = new StringBuilder(text);
        var edits = 1 + Random.Next(4);
        for (var i = 0; i < edits; i++)
        {
            var at = s.Length == 0 ? 0 : Random.Next(s.Length + 1);
            switch (Random.Next(9))
            {
                case 0 when s.Length > 0: s.Remove(Math.Min(at, s.Length - 1), Math.Min(1 + Random.Next(16), s.Length - Math.Min(at, s.Length - 1))); break;
                case 1: s.Insert(at, Tokens[Random.Next(Tokens.Length)]); break;
                case 2: s.Insert(at, (char)Random.Next(0, 0x80)); break;
                case 3: s.Insert(at, new string('[', 1 + Random.Next(Random.Next(2) == 0 ? 64 : 40_000))); break;
                case 4: s.Insert(at, string.Concat(Enumerable.Repeat("{a: ", 1 + Random.Next(2_000)))); break;
                case 5 when s.Length > 0:
                    var from = Random.Next(s.Length);
                    var piece = s.ToString(from, Math.Min(1 + Random.Next(200), s.Length - from));
                    s.Insert(at, string.Concat(Enumerable.Repeat(piece, 1 + Random.Next(Random.Next(8) == 0 ? 500 : 4))));
                    break;
                case 6: s.Insert(at, $"\n{Tokens[Random.Next(Tokens.Length)]}: {Tokens[Random.Next(Tokens.Length)]}\n"); break;
                case 7: s.Insert(at, "&x [" + string.Concat(Enumerable.Repeat("*x, ", 1 + Random.Next(50))) + "]"); break;
                default:
                    // Replace a number with a hostile one.
                    var text2 = s.ToString();
                    var digit = text2.IndexOfAny("0123456789".ToCharArray(), Math.Min(at, text2.Length));
                    if (digit < 0) break;
                    var end = digit;
                    while (end < text2.Length && (char.IsDigit(text2[end]) || text2[end] == '.')) end++;
                    s.Remove(digit, end - digit).Insert(digit, Tokens[Random.Next(8, 20)]);
                    break;
            }
        }
        return s.ToString();
    }

    public byte[] MutateBytes(byte[] bytes)
    {
        var b = new List<byte>(bytes);
        var edits = 1 + Random.Next(4);
        for (var i = 0; i < edits; i++)
        {
            var at = b.Count == 0 ? 0 : Random.Next(b.Count + 1);
            switch (Random.Next(7))
            {
                case 0 when b.Count > 0: b[Math.Min(at, b.Count - 1)] ^= (byte)(1 << Random.Next(8)); break;
                case 1 when b.Count > 0: b.RemoveRange(Math.Min(at, b.Count - 1), Math.Min(1 + Random.Next(8), b.Count - Math.Min(at, b.Count - 1))); break;
                case 2: b.InsertRange(at, RandomBytes(1 + Random.Next(16))); break;
                case 3 when b.Count > 0: b.RemoveRange(at, b.Count - at); break;  // truncated
                // A field header with a huge length, or a varint that never ends.
                case 4: b.InsertRange(at, [(byte)((1 + Random.Next(20)) << 3 | 2), 0xff, 0xff, 0xff, 0xff, 0x0f]); break;
                case 5: b.InsertRange(at, Enumerable.Repeat((byte)0xff, 1 + Random.Next(12))); break;
                default:
                    if (b.Count == 0) break;
                    var from = Random.Next(b.Count);
                    b.InsertRange(at, b.GetRange(from, Math.Min(1 + Random.Next(64), b.Count - from)));
                    break;
            }
        }
        return [.. b];
    }

    public byte[] RandomBytes(int count)
    {
        var bytes = new byte[count];
        Random.NextBytes(bytes);
        return bytes;
    }
}
