using System.Net;

namespace LocalTls.Sslip;

/// <summary>An IP address found inside a hostname: where it is, what it is and how it was written.</summary>
internal readonly record struct SslipMatch(int Start, int End, IPAddress Address, SslipForm Form)
{
    public string Text(string host) => host[Start..End];
}

/// <summary>
/// Finds the address sslip.io would answer for a hostname, following its published matching rules:
/// <list type="bullet">
/// <item>A records: the leftmost dashed IPv4 (<c>1-2-3-4</c>) wins; failing that the leftmost dotted IPv4
/// (<c>1.2.3.4</c>); failing that the leftmost 8-hex-digit IPv4 (<c>01020304</c>).</item>
/// <item>AAAA records, independently: the leftmost, then longest, dashed IPv6 (<c>2001-db8--1</c>).</item>
/// <item>Every match must be delimited by the start or end of the name, a dot or a hyphen.</item>
/// <item>IPv4 octets are 0-255 without leading zeros (<c>05</c> does not match).</item>
/// </list>
/// The input is the lower-cased part of the name in front of the zone.
/// </summary>
internal static class SslipMatcher
{
    public static SslipMatch? FindIPv4(string host) =>
        FindIPv4(host, '-', SslipForm.Dashed) ?? FindIPv4(host, '.', SslipForm.Dotted) ?? FindHex(host);

    public static SslipMatch? FindAny(string host) => FindIPv4(host) ?? FindIPv6(host);

    /// <summary>The leftmost dashed IPv4, failing that the leftmost dotted one: sslip.io's rule without the hex form.</summary>
    public static SslipMatch? FindDashedOrDottedIPv4(string host) =>
        FindIPv4(host, '-', SslipForm.Dashed) ?? FindIPv4(host, '.', SslipForm.Dotted);

    private static bool IsDelimiter(char c) => c is '.' or '-';

    private static bool StartsToken(string host, int position) => position == 0 || IsDelimiter(host[position - 1]);

    private static bool EndsToken(string host, int position) => position == host.Length || IsDelimiter(host[position]);

    private static SslipMatch? FindIPv4(string host, char separator, SslipForm form)
    {
        Span<byte> octets = stackalloc byte[4];
        for (var start = 0; start < host.Length; start++)
        {
            if (!StartsToken(host, start) || !DnsNames.IsDigit(host[start]))
            {
                continue;
            }

            var position = start;
            var ok = true;
            for (var i = 0; i < 4 && ok; i++)
            {
                if (i > 0)
                {
                    if (position >= host.Length || host[position] != separator)
                    {
                        ok = false;
                        break;
                    }

                    position++;
                }

                ok = TryReadOctet(host, ref position, out octets[i]);
            }

            if (ok && EndsToken(host, position))
            {
                return new SslipMatch(start, position, new IPAddress(octets), form);
            }
        }

        return null;
    }

    /// <summary>Reads a maximal run of digits that must be 0-255 without a leading zero.</summary>
    private static bool TryReadOctet(string host, ref int position, out byte value)
    {
        value = 0;
        var start = position;
        var number = 0;
        while (position < host.Length && DnsNames.IsDigit(host[position]))
        {
            number = (number * 10) + (host[position] - '0');
            position++;
            if (position - start > 3)
            {
                return false;
            }
        }

        var length = position - start;
        if (length == 0 || number > 255 || (length > 1 && host[start] == '0'))
        {
            return false;
        }

        value = (byte)number;
        return true;
    }

    private static SslipMatch? FindHex(string host)
    {
        Span<byte> bytes = stackalloc byte[4];
        for (var start = 0; start + 8 <= host.Length; start++)
        {
            if (!StartsToken(host, start) || !EndsToken(host, start + 8))
            {
                continue;
            }

            if (Convert.FromHexString(host.AsSpan(start, 8), bytes, out _, out var written) == System.Buffers.OperationStatus.Done && written == 4)
            {
                return new SslipMatch(start, start + 8, new IPAddress(bytes), SslipForm.Hex);
            }
        }

        return null;
    }

    /// <summary>The leftmost-longest dashed IPv6 address (sslip.io matches IPv6 leftmost-longest).</summary>
    public static SslipMatch? FindIPv6(string host)
    {
        Span<byte> bytes = stackalloc byte[16];
        for (var start = 0; start < host.Length; start++)
        {
            if (!StartsToken(host, start))
            {
                continue;
            }

            var labelEnd = host.IndexOf('.', start);
            if (labelEnd < 0)
            {
                labelEnd = host.Length;
            }

            for (var end = labelEnd; end >= start + 2; end--)
            {
                if (EndsToken(host, end) && TryParseDashedIPv6(host.AsSpan(start, end - start), bytes))
                {
                    return new SslipMatch(start, end, new IPAddress(bytes), SslipForm.DashedIPv6);
                }
            }
        }

        return null;
    }

    /// <summary>
    /// Strictly parses an IPv6 address written with <c>-</c> for <c>:</c>: eight groups of 1-4 hex digits, or
    /// fewer groups with a single <c>--</c> standing for one or more zero groups.
    /// </summary>
    public static bool TryParseDashedIPv6(ReadOnlySpan<char> text, Span<byte> bytes)
    {
        var compression = text.IndexOf("--");
        if (compression >= 0 && text[(compression + 2)..].IndexOf("--") >= 0)
        {
            return false;
        }

        Span<int> left = stackalloc int[8];
        Span<int> right = stackalloc int[8];
        int leftCount, rightCount = 0;
        if (compression < 0)
        {
            if (!TryParseGroups(text, left, out leftCount) || leftCount != 8)
            {
                return false;
            }
        }
        else
        {
            var head = text[..compression];
            var tail = text[(compression + 2)..];
            leftCount = 0;
            if (head.Length > 0 && !TryParseGroups(head, left, out leftCount))
            {
                return false;
            }

            if (tail.Length > 0 && !TryParseGroups(tail, right, out rightCount))
            {
                return false;
            }

            if (leftCount + rightCount > 7)
            {
                return false;
            }
        }

        bytes.Clear();
        for (var i = 0; i < leftCount; i++)
        {
            bytes[2 * i] = (byte)(left[i] >> 8);
            bytes[(2 * i) + 1] = (byte)left[i];
        }

        for (var i = 0; i < rightCount; i++)
        {
            var slot = 8 - rightCount + i;
            bytes[2 * slot] = (byte)(right[i] >> 8);
            bytes[(2 * slot) + 1] = (byte)right[i];
        }

        return true;
    }

    private static bool TryParseGroups(ReadOnlySpan<char> text, Span<int> groups, out int count)
    {
        count = 0;
        var value = 0;
        var digits = 0;
        for (var i = 0; i <= text.Length; i++)
        {
            if (i == text.Length || text[i] == '-')
            {
                if (digits == 0 || count == 8)
                {
                    return false;
                }

                groups[count++] = value;
                value = 0;
                digits = 0;
                continue;
            }

            var c = text[i];
            if (!DnsNames.IsLowerHex(c) || ++digits > 4)
            {
                return false;
            }

            value = (value << 4) | (c <= '9' ? c - '0' : c - 'a' + 10);
        }

        return true;
    }
}
