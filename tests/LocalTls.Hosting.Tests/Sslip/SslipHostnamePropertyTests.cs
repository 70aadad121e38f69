using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.RegularExpressions;
using LocalTls.Sslip;

namespace LocalTls.Tests.Sslip;

/// <summary>Seeded random tests: thousands of generated inputs per property, reproducible from the seed.</summary>
public class SslipHostnamePropertyTests
{
    private static readonly string[] Zones = ["sslip.io", "nip.io"];
    private static readonly SslipForm[] IPv4Forms = [SslipForm.Dotted, SslipForm.Dashed, SslipForm.Hex];

    [Fact]
    public void Created_names_round_trip_for_safe_prefixes()
    {
        var random = new Random(20240501);
        var ipv6Count = 0;
        for (var i = 0; i < 5000; i++)
        {
            var prefix = SafePrefix(random);
            var address = RandomAddress(random);
            var zone = Zones[random.Next(Zones.Length)];
            var form = IPv4Forms[random.Next(IPv4Forms.Length)];
            var context = $"case {i}: prefix '{prefix}', {address}, {zone}, {form}";

            var created = SslipHostname.Create(prefix, address, zone, form);
            var parsed = SslipHostname.Parse(created.Hostname);

            var expectedForm = address.AddressFamily == AddressFamily.InterNetworkV6 ? SslipForm.DashedIPv6 : form;
            ipv6Count += expectedForm == SslipForm.DashedIPv6 ? 1 : 0;
            Assert.True(address.Equals(parsed.Address), context);
            Assert.True(prefix == parsed.Prefix, context);
            Assert.True(zone == parsed.Zone, context);
            Assert.True(expectedForm == parsed.Form, context);
            Assert.True(created.Hostname == parsed.Hostname, context);
            Assert.Equal(created, parsed);

            // case and a trailing dot do not matter
            Assert.Equal(created, SslipHostname.Parse(created.Hostname.ToUpperInvariant() + "."));
        }

        Assert.InRange(ipv6Count, 1000, 2000);
    }

    [Fact]
    public void Created_names_round_trip_or_are_refused_for_arbitrary_prefixes()
    {
        var random = new Random(4242);
        int created = 0, refused = 0;
        for (var i = 0; i < 5000; i++)
        {
            var prefix = ArbitraryPrefix(random);
            var address = RandomAddress(random);
            var zone = Zones[random.Next(Zones.Length)];
            var form = IPv4Forms[random.Next(IPv4Forms.Length)];
            var context = $"case {i}: prefix '{prefix}', {address}, {zone}, {form}";

            SslipHostname name;
            try
            {
                name = SslipHostname.Create(prefix, address, zone, form);
            }
            catch (ArgumentException e)
            {
                // Refused: the prefix reads as (part of) an address, or the name gets too long.
                Assert.True(e.Message.Contains("Cannot build an sslip.io name", StringComparison.Ordinal) || e.Message.Contains("at most 253", StringComparison.Ordinal), context + ": " + e.Message);
                refused++;
                continue;
            }

            var parsed = SslipHostname.Parse(name.Hostname);
            Assert.True(address.Equals(parsed.Address), context);
            Assert.True(prefix == parsed.Prefix, context);
            created++;
        }

        // The generator produces digit runs and hex words often enough to hit refusals, but mostly valid names.
        Assert.True(created > 3000, $"{created} created");
        Assert.True(refused > 50, $"{refused} refused");
    }

    [Fact]
    public void IPv6_names_fall_back_to_full_groups_only_when_the_short_form_also_reads_as_IPv4()
    {
        var random = new Random(777);
        int padded = 0, compressed = 0;
        for (var i = 0; i < 4000; i++)
        {
            // Small groups make decimal-looking runs such as 1-0-0-1 likely.
            var bytes = new byte[16];
            for (var g = 0; g < 8; g++)
            {
                var value = random.Next(4) switch
                {
                    0 => 0,
                    1 => random.Next(1, 10),
                    2 => random.Next(10, 256),
                    _ => random.Next(0x10000),
                };
                bytes[2 * g] = (byte)(value >> 8);
                bytes[(2 * g) + 1] = (byte)value;
            }

            var address = new IPAddress(bytes);
            var name = SslipHostname.Create("h", address);
            var text = name.Hostname["h.".Length..^".sslip.io".Length];
            var shortText = DnsNames.FormatIPv6(bytes, '-');

            Assert.Equal(address, SslipHostname.Parse(name.Hostname).Address);
            if (SslipMatcher.FindIPv4(shortText) is null)
            {
                Assert.Equal(shortText, text);
                compressed++;
            }
            else
            {
                Assert.Equal(DnsNames.FormatIPv6Padded(bytes, '-'), text);
                padded++;
            }
        }

        Assert.True(padded > 100, $"{padded} padded");
        Assert.True(compressed > 100, $"{compressed} compressed");
    }

    [Fact]
    public void Dashed_IPv6_text_matches_the_framework_parser()
    {
        var random = new Random(99);
        Span<byte> bytes = stackalloc byte[16];
        for (var i = 0; i < 5000; i++)
        {
            var address = RandomIPv6(random);
            var text = DnsNames.FormatIPv6(address.GetAddressBytes(), ':');

            // RFC 5952 text round-trips through IPAddress, and the dashed form through the sslip.io matcher.
            Assert.Equal(address, IPAddress.Parse(text));
            Assert.True(SslipMatcher.TryParseDashedIPv6(text.Replace(':', '-'), bytes), text);
            Assert.Equal(address, new IPAddress(bytes));
            Assert.True(SslipMatcher.TryParseDashedIPv6(DnsNames.FormatIPv6Padded(address.GetAddressBytes(), '-'), bytes));
            Assert.Equal(address, new IPAddress(bytes));
        }
    }

    [Fact]
    public void Garbage_never_throws_anything_but_FormatException()
    {
        var random = new Random(1337);
        const string alphabet = "abcdefxyzABCXYZ0123456789-.*_:/ \t\u00e9\u0130\u2028\0%@!";
        var parsed = 0;
        for (var i = 0; i < 20000; i++)
        {
            var length = random.Next(0, i % 10 == 0 ? 300 : 40);
            var sb = new StringBuilder(length);
            for (var j = 0; j < length; j++)
            {
                sb.Append(alphabet[random.Next(alphabet.Length)]);
            }

            // Half of the inputs get a real zone so that parsing gets past the zone check.
            if (random.Next(2) == 0)
            {
                sb.Append(random.Next(2) == 0 ? ".sslip.io" : ".NIP.io.");
            }

            var input = sb.ToString();
            var wildcard = random.Next(2) == 0;
            parsed += CheckParseContract(input, wildcard) ? 1 : 0;
        }

        Assert.True(parsed > 0, "some random inputs are valid names");
    }

    [Fact]
    public void Mutated_valid_names_never_throw_and_reparse_to_themselves()
    {
        var random = new Random(8080);
        const string edits = ".-0123456789abcdefxyz*:_";
        int stillValid = 0, broken = 0;
        for (var i = 0; i < 10000; i++)
        {
            var name = SslipHostname.Create(SafePrefix(random), RandomAddress(random), Zones[random.Next(2)], IPv4Forms[random.Next(3)]).Hostname;
            var chars = new StringBuilder(name);
            var count = random.Next(1, 4);
            for (var e = 0; e < count; e++)
            {
                var position = random.Next(chars.Length + 1);
                switch (random.Next(3))
                {
                    case 0:
                        chars.Insert(position, edits[random.Next(edits.Length)]);
                        break;
                    case 1 when position < chars.Length:
                        chars.Remove(position, 1);
                        break;
                    default:
                        if (position < chars.Length)
                        {
                            chars[position] = edits[random.Next(edits.Length)];
                        }

                        break;
                }
            }

            if (CheckParseContract(chars.ToString(), allowWildcard: random.Next(2) == 0))
            {
                stillValid++;
            }
            else
            {
                broken++;
            }
        }

        Assert.True(stillValid > 1000, $"{stillValid} still valid");
        Assert.True(broken > 1000, $"{broken} broken");
    }

    [Fact]
    public void Agrees_with_an_independent_model_of_sslip_io_matching()
    {
        var random = new Random(31337);
        int accepted = 0, noAddress = 0;
        for (var i = 0; i < 20000; i++)
        {
            var host = random.Next(5) < 2 ? RandomHostPart(random) + (random.Next(2) == 0 ? "." : "-") + RandomAddressText(random) : RandomHostPart(random);
            var name = host + ".sslip.io";
            var v4 = Oracle.FindIPv4(host);
            var v6 = Oracle.FindIPv6(host);
            var ok = SslipHostname.TryParse(name, out var result, out var error);
            var context = $"case {i}: '{name}' (oracle: A {v4?.Address}, AAAA {v6?.Address}; parser: {result?.Address} {error})";

            if (v4 is null && v6 is null)
            {
                Assert.False(ok, context);
                noAddress++;
                continue;
            }

            var single = v4 is null ^ v6 is null;
            var match = (v4 ?? v6)!.Value;
            if (ok)
            {
                // Whatever the parser accepts, sslip.io answers with exactly that one address.
                Assert.True(single, context);
                Assert.Equal(match.Address, result!.Address);
                Assert.Equal(host.Length, match.End);
                accepted++;
            }
            else if (single && match.End == host.Length && Oracle.PrefixIsValid(host, match.Start))
            {
                Assert.Fail("rejected although sslip.io resolves it to the last address: " + context);
            }
        }

        Assert.True(accepted > 4000, $"{accepted} accepted");
        Assert.True(noAddress > 1000, $"{noAddress} without address");
    }

    /// <summary>Parse throws only FormatException; TryParse never throws and agrees with Parse; results re-parse.</summary>
    private static bool CheckParseContract(string input, bool allowWildcard)
    {
        SslipHostname? fromParse = null;
        string? parseError = null;
        try
        {
            fromParse = SslipHostname.Parse(input, allowWildcard);
        }
        catch (FormatException e)
        {
            parseError = e.Message;
        }

        var ok = SslipHostname.TryParse(input, allowWildcard, null, out var fromTryParse, out var error);
        Assert.Equal(fromParse is not null, ok);
        Assert.Equal(parseError, error);
        if (!ok)
        {
            Assert.False(string.IsNullOrWhiteSpace(error));
            Assert.Contains("e.g.", error);
            return false;
        }

        Assert.Equal(fromParse, fromTryParse);
        var again = SslipHostname.Parse(fromParse!.Hostname, allowWildcard);
        Assert.Equal(fromParse.Address, again.Address);
        Assert.Equal(fromParse.Prefix, again.Prefix);
        Assert.Equal(fromParse.Form, again.Form);
        Assert.Equal(fromParse.Hostname, again.Hostname);
        Assert.True(fromParse.Hostname.Length <= 253);
        Assert.Equal(fromParse.Hostname.ToLowerInvariant(), fromParse.Hostname);
        return true;
    }

    private static IPAddress RandomAddress(Random random) =>
        random.Next(10) < 7 ? new IPAddress(BitConverter.GetBytes((uint)random.NextInt64(0, 1L << 32))) : RandomIPv6(random);

    private static IPAddress RandomIPv6(Random random)
    {
        var bytes = new byte[16];
        random.NextBytes(bytes);

        // Zero runs of random length and position so that "--" compression shows up.
        if (random.Next(2) == 0)
        {
            var start = random.Next(8);
            var length = random.Next(1, 9 - start);
            Array.Clear(bytes, 2 * start, 2 * length);
        }

        return new IPAddress(bytes);
    }

    /// <summary>Labels that can never read as an address: every hyphen-separated part starts with g-z.</summary>
    private static string SafePrefix(Random random)
    {
        const string first = "ghijklmnopqrstuvwxyz";
        const string rest = "abcdefghijklmnopqrstuvwxyz0123456789";
        var labels = new string[random.Next(0, 4)];
        for (var l = 0; l < labels.Length; l++)
        {
            var parts = new string[random.Next(1, 3)];
            for (var p = 0; p < parts.Length; p++)
            {
                var sb = new StringBuilder().Append(first[random.Next(first.Length)]);
                var length = random.Next(0, 12);
                for (var c = 0; c < length; c++)
                {
                    sb.Append(rest[random.Next(rest.Length)]);
                }

                parts[p] = sb.ToString();
            }

            labels[l] = string.Join('-', parts);
        }

        return string.Join('.', labels);
    }

    /// <summary>Valid RFC 1123 labels with digits, hex letters and hyphens, so some read as addresses.</summary>
    private static string ArbitraryPrefix(Random random)
    {
        const string edge = "abcdefxyz0123456789";
        const string middle = "abcdefxyz0123456789--";
        var labels = new string[random.Next(0, 4)];
        for (var l = 0; l < labels.Length; l++)
        {
            var length = random.Next(1, 10);
            var sb = new StringBuilder();
            for (var c = 0; c < length; c++)
            {
                var pool = c == 0 || c == length - 1 ? edge : middle;
                sb.Append(pool[random.Next(pool.Length)]);
            }

            labels[l] = sb.ToString();
        }

        return string.Join('.', labels);
    }

    /// <summary>Host parts built from address-like tokens: octets (some out of range or zero-padded), hex words, IPv6 pieces.</summary>
    private static string RandomHostPart(Random random)
    {
        var sb = new StringBuilder();
        var tokens = random.Next(1, 9);
        for (var t = 0; t < tokens; t++)
        {
            if (t > 0)
            {
                sb.Append(random.Next(3) == 0 ? '-' : '.');
            }

            sb.Append(random.Next(9) switch
            {
                0 or 1 or 2 => random.Next(10) == 0 ? random.Next(256, 999).ToString() : random.Next(20) == 0 ? "0" + random.Next(10) : random.Next(256).ToString(),
                3 => random.Next(0x10000).ToString("x"),
                4 => random.NextInt64(0, 1L << 32).ToString("x8"),
                5 => "",          // makes "--" (and, rarely, empty labels)
                6 => "app",
                7 => "web",
                _ => random.Next(2) == 0 ? "a" : "ff",
            });
        }

        return sb.ToString();
    }

    /// <summary>An address in one of the sslip.io spellings, to end a generated host part with.</summary>
    private static string RandomAddressText(Random random)
    {
        var address = RandomAddress(random);
        var bytes = address.GetAddressBytes();
        return address.AddressFamily == AddressFamily.InterNetworkV6
            ? DnsNames.FormatIPv6(bytes, '-')
            : random.Next(3) switch
            {
                0 => string.Join('.', bytes),
                1 => string.Join('-', bytes),
                _ => Convert.ToHexStringLower(bytes),
            };
    }

    /// <summary>
    /// sslip.io's rules, written independently of the production code: regular expressions for IPv4
    /// (dashes, then dots, then hex; leftmost) and a brute-force leftmost-longest search for IPv6 validated by
    /// <see cref="IPAddress.TryParse(string, out IPAddress)"/>.
    /// </summary>
    private static class Oracle
    {
        private const string Octet = "(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9][0-9]|[0-9])";
        private static readonly Regex Dashed = new($"(?<=^|[.-]){Octet}(?:-{Octet}){{3}}(?=$|[.-])", RegexOptions.CultureInvariant);
        private static readonly Regex Dotted = new($@"(?<=^|[.-]){Octet}(?:\.{Octet}){{3}}(?=$|[.-])", RegexOptions.CultureInvariant);
        private static readonly Regex Hex = new("(?<=^|[.-])[0-9a-f]{8}(?=$|[.-])", RegexOptions.CultureInvariant);

        public static (int Start, int End, IPAddress Address)? FindIPv4(string host)
        {
            foreach (var regex in new[] { Dashed, Dotted })
            {
                var m = regex.Match(host);
                if (m.Success)
                {
                    return (m.Index, m.Index + m.Length, IPAddress.Parse(m.Value.Replace('-', '.')));
                }
            }

            var h = Hex.Match(host);
            return h.Success ? (h.Index, h.Index + h.Length, new IPAddress(Convert.FromHexString(h.Value))) : null;
        }

        public static (int Start, int End, IPAddress Address)? FindIPv6(string host)
        {
            for (var start = 0; start < host.Length; start++)
            {
                if (start > 0 && host[start - 1] is not ('.' or '-'))
                {
                    continue;
                }

                for (var end = host.Length; end > start; end--)
                {
                    if (end < host.Length && host[end] is not ('.' or '-'))
                    {
                        continue;
                    }

                    var candidate = host[start..end];
                    if (candidate.Contains('.') || !candidate.Contains('-'))
                    {
                        continue;
                    }

                    if (IPAddress.TryParse(candidate.Replace('-', ':'), out var address) && address.AddressFamily == AddressFamily.InterNetworkV6)
                    {
                        return (start, end, address);
                    }
                }
            }

            return null;
        }

        /// <summary>RFC 1123: labels in front of the address are non-empty and do not start or end with '-'.</summary>
        public static bool PrefixIsValid(string host, int addressStart)
        {
            if (addressStart == 0)
            {
                return true;
            }

            var prefix = host[..(addressStart - 1)];
            return prefix.Length > 0 && prefix.Split('.').All(l => l.Length > 0 && !l.StartsWith('-') && !l.EndsWith('-'));
        }
    }
}
