using System.Diagnostics.CodeAnalysis;
using System.Net;
using System.Net.Sockets;

namespace LocalTls.Sslip;

/// <summary>
/// A hostname under an sslip.io-style zone (<c>sslip.io</c>, <c>nip.io</c>) that embeds an IP address, e.g.
/// <c>app.192.168.5.2.sslip.io</c>, <c>app-192-168-5-2.sslip.io</c>, <c>app.c0a80502.sslip.io</c> or
/// <c>app.2001-db8--1.sslip.io</c>.
/// </summary>
/// <remarks>
/// The embedded address is found with sslip.io's own rules, so a name resolves to the same address here and on
/// the public service: a dashed IPv4 wins over a dotted one, which wins over the hex form, and the leftmost
/// occurrence wins. On top of that LocalTls requires the address to come last (right before the zone), the
/// labels in front of it to be valid RFC 1123 labels, and the name not to embed both an IPv4 and an IPv6
/// address (sslip.io would answer A and AAAA with different addresses). Names outside those rules are
/// rejected with a message that says what to write instead.
/// </remarks>
internal sealed class SslipHostname : IEquatable<SslipHostname>
{
    /// <summary>The zone used when none is given: <c>sslip.io</c>.</summary>
    public const string DefaultZone = "sslip.io";

    /// <summary>The zones accepted when none are configured: <c>sslip.io</c> and <c>nip.io</c>.</summary>
    public static IReadOnlyList<string> DefaultZones { get; } = Array.AsReadOnly(["sslip.io", "nip.io"]);

    private SslipHostname(string prefix, IPAddress address, string zone, SslipForm form, string hostname, bool isWildcard)
    {
        Prefix = prefix;
        Address = address;
        Zone = zone;
        Form = form;
        Hostname = hostname;
        IsWildcard = isWildcard;
    }

    /// <summary>
    /// The labels in front of the address without the separator that joins them to it (<c>app</c> for both
    /// <c>app.1.2.3.4.sslip.io</c> and <c>app-1-2-3-4.sslip.io</c>); empty when the name starts with the address.
    /// Never contains the wildcard label.
    /// </summary>
    public string Prefix { get; }

    /// <summary>The embedded IP address, i.e. what sslip.io answers for this name.</summary>
    public IPAddress Address { get; }

    /// <summary>The zone the name belongs to, lower case without a trailing dot, e.g. <c>sslip.io</c>.</summary>
    public string Zone { get; }

    /// <summary>How the address is written in the name.</summary>
    public SslipForm Form { get; }

    /// <summary>The canonical name: lower case, no trailing dot, including a leading <c>*.</c> for wildcards.</summary>
    public string Hostname { get; }

    /// <summary>True when the name starts with <c>*.</c> (only accepted when parsing with <c>allowWildcard</c>).</summary>
    public bool IsWildcard { get; }

    /// <summary>Parses a hostname under <c>sslip.io</c> or <c>nip.io</c>; wildcards are rejected.</summary>
    /// <param name="hostname">The hostname, case-insensitive, a trailing dot is tolerated.</param>
    /// <returns>The parsed name.</returns>
    /// <exception cref="FormatException">The name is not a usable sslip.io name; the message says what to write instead.</exception>
    public static SslipHostname Parse(string hostname) => Parse(hostname, allowWildcard: false, zones: null);

    /// <summary>Parses a hostname that embeds an IP address under one of <paramref name="zones"/>.</summary>
    /// <param name="hostname">The hostname, case-insensitive, a trailing dot is tolerated.</param>
    /// <param name="allowWildcard">Accept a leading <c>*.</c> label (for wildcard certificates, DNS-01).</param>
    /// <param name="zones">The accepted zones; <see cref="DefaultZones"/> when null.</param>
    /// <returns>The parsed name.</returns>
    /// <exception cref="FormatException">The name is not a usable sslip.io name; the message says what to write instead.</exception>
    /// <exception cref="ArgumentException">A zone in <paramref name="zones"/> is not a valid DNS name.</exception>
    public static SslipHostname Parse(string hostname, bool allowWildcard, IEnumerable<string>? zones = null)
    {
        var zoneList = NormalizeZones(zones);
        var error = TryParseCore(hostname, allowWildcard, zoneList, out var result);
        return error is null ? result! : throw new FormatException(error);
    }

    /// <summary>Tries to parse a hostname under <c>sslip.io</c> or <c>nip.io</c>; wildcards are rejected. Never throws.</summary>
    /// <param name="hostname">The hostname, case-insensitive, a trailing dot is tolerated.</param>
    /// <param name="result">The parsed name, or null.</param>
    /// <param name="error">Why the name was rejected and what to write instead, or null.</param>
    /// <returns>True when the name was parsed.</returns>
    public static bool TryParse(
        [NotNullWhen(true)] string? hostname,
        [NotNullWhen(true)] out SslipHostname? result,
        [NotNullWhen(false)] out string? error) =>
        TryParse(hostname, allowWildcard: false, zones: null, out result, out error);

    /// <summary>Tries to parse a hostname that embeds an IP address under one of <paramref name="zones"/>. Never throws.</summary>
    /// <param name="hostname">The hostname, case-insensitive, a trailing dot is tolerated.</param>
    /// <param name="allowWildcard">Accept a leading <c>*.</c> label (for wildcard certificates, DNS-01).</param>
    /// <param name="zones">The accepted zones; <see cref="DefaultZones"/> when null.</param>
    /// <param name="result">The parsed name, or null.</param>
    /// <param name="error">Why the name (or a zone) was rejected and what to write instead, or null.</param>
    /// <returns>True when the name was parsed.</returns>
    public static bool TryParse(
        [NotNullWhen(true)] string? hostname,
        bool allowWildcard,
        IEnumerable<string>? zones,
        [NotNullWhen(true)] out SslipHostname? result,
        [NotNullWhen(false)] out string? error)
    {
        result = null;
        try
        {
            var zoneList = NormalizeZones(zones);
            error = TryParseCore(hostname, allowWildcard, zoneList, out result);
        }
        catch (ArgumentException e)
        {
            error = e.Message;
        }

        return error is null;
    }

    /// <summary>
    /// Builds a name from a prefix, an address and a zone, e.g. <c>Create("app", 192.168.5.2)</c> is
    /// <c>app.192.168.5.2.sslip.io</c>. Dotted, hex and IPv6 forms join the prefix with a dot; the dashed form
    /// joins it with a hyphen (<c>app-192-168-5-2.sslip.io</c>). An IPv6 address always uses
    /// <see cref="SslipForm.DashedIPv6"/>; when its compressed form would also read as an IPv4 address
    /// (e.g. <c>1-2-3-4--</c>), all eight groups are written out in full instead.
    /// </summary>
    /// <param name="prefix">Labels in front of the address (RFC 1123 LDH labels, dot-separated), or empty.</param>
    /// <param name="address">The IPv4 or IPv6 address to embed.</param>
    /// <param name="zone">The zone, <c>sslip.io</c> by default.</param>
    /// <param name="form">How to write an IPv4 address; ignored for IPv6.</param>
    /// <returns>The name, guaranteed to parse back to the same prefix, address and zone.</returns>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="ArgumentException">The prefix or zone is invalid, or the name would resolve to a different address.</exception>
    public static SslipHostname Create(string prefix, IPAddress address, string zone = DefaultZone, SslipForm form = SslipForm.Dotted)
    {
        ArgumentNullException.ThrowIfNull(prefix);
        ArgumentNullException.ThrowIfNull(address);
        ArgumentNullException.ThrowIfNull(zone);

        var zoneName = NormalizeZone(zone, nameof(zone));
        var example = $"app.127.0.0.1.{zoneName}";
        if (prefix.Contains('*', StringComparison.Ordinal))
        {
            throw new ArgumentException(
                $"The prefix '{prefix}' contains '*'; build the name without it and call {nameof(ToWildcard)}() to get the wildcard name, e.g. *.{example}",
                nameof(prefix));
        }

        if (!IsValidPrefix(prefix, out var prefixError))
        {
            throw new ArgumentException(prefixError, nameof(prefix));
        }

        var normalizedPrefix = DnsNames.AsciiLower(prefix);
        var bytes = address.GetAddressBytes();
        string[] candidates;
        char joiner = '.';
        if (address.AddressFamily == AddressFamily.InterNetworkV6)
        {
            if (address.ScopeId != 0)
            {
                throw new ArgumentException(
                    $"The IPv6 address {address} has a scope (zone index), which cannot be written in a hostname; pass the address without '%{address.ScopeId}'",
                    nameof(address));
            }

            form = SslipForm.DashedIPv6;
            candidates = [DnsNames.FormatIPv6(bytes, '-'), DnsNames.FormatIPv6Padded(bytes, '-')];
        }
        else if (address.AddressFamily == AddressFamily.InterNetwork)
        {
            candidates = form switch
            {
                SslipForm.Dotted => [string.Join('.', bytes)],
                SslipForm.Dashed => [string.Join('-', bytes)],
                SslipForm.Hex => [Convert.ToHexStringLower(bytes)],
                SslipForm.DashedIPv6 => throw new ArgumentException(
                    $"{address} is an IPv4 address, but the {nameof(SslipForm.DashedIPv6)} form is for IPv6 addresses; use {nameof(SslipForm.Dotted)}, {nameof(SslipForm.Dashed)} or {nameof(SslipForm.Hex)}",
                    nameof(form)),
                _ => throw new ArgumentException($"Unknown form {form}; use {nameof(SslipForm.Dotted)}, {nameof(SslipForm.Dashed)} or {nameof(SslipForm.Hex)}", nameof(form)),
            };
            if (form == SslipForm.Dashed)
            {
                joiner = '-';
            }
        }
        else
        {
            throw new ArgumentException($"{address} is neither an IPv4 nor an IPv6 address; pass an address such as 127.0.0.1 or ::1", nameof(address));
        }

        string? firstError = null;
        string? firstHost = null;
        foreach (var addressText in candidates)
        {
            var host = normalizedPrefix.Length == 0 ? addressText : normalizedPrefix + joiner + addressText;
            var error = TryParseCore(host + "." + zoneName, allowWildcard: false, [zoneName], out var parsed, suggest: false);
            if (error is null && parsed!.Address.Equals(address) && parsed.Prefix == normalizedPrefix && parsed.Form == form)
            {
                return parsed;
            }

            firstHost ??= host;
            firstError ??= error ?? $"it would parse as prefix '{parsed!.Prefix}' and {parsed.Address}";
        }

        // Explain the likely cause: something in the prefix reads as an address, or runs into the address.
        var inPrefix = normalizedPrefix.Length == 0 ? null : SslipMatcher.FindAny(normalizedPrefix);
        var found = SslipMatcher.FindAny(firstHost!);
        var cause = inPrefix is { } m
            ? $"the prefix contains '{m.Text(normalizedPrefix)}', which sslip.io reads as the address {m.Address}"
            : found is { } f && !(f.Address.Equals(address) && f.End == firstHost!.Length)
                ? $"in '{firstHost}.{zoneName}' sslip.io would read '{f.Text(firstHost!)}' ({f.Address}), because the end of the prefix runs into the address"
                : null;
        if (cause is null)
        {
            throw new ArgumentException($"Cannot build an sslip.io name from prefix '{prefix}' and {address}: {firstError}", nameof(prefix));
        }

        throw new ArgumentException(
            $"Cannot build an sslip.io name from prefix '{prefix}' and {address}: {cause}; choose a prefix whose labels do not look like (part of) an IP address, e.g. 'app'",
            nameof(prefix));
    }

    /// <summary>The wildcard name covering this name's subdomains, e.g. <c>*.app.127.0.0.1.sslip.io</c>.</summary>
    /// <returns>This name with a leading <c>*.</c>; this name itself when it already is a wildcard.</returns>
    /// <exception cref="InvalidOperationException">The wildcard name would be longer than 253 characters.</exception>
    public SslipHostname ToWildcard()
    {
        if (IsWildcard)
        {
            return this;
        }

        var name = "*." + Hostname;
        if (name.Length > DnsNames.MaxNameLength)
        {
            throw new InvalidOperationException($"'{name}' would be longer than {DnsNames.MaxNameLength} characters; use a shorter prefix");
        }

        return new SslipHostname(Prefix, Address, Zone, Form, name, isWildcard: true);
    }

    /// <summary>
    /// Checks a prefix: empty, or dot-separated RFC 1123 labels of letters, digits and hyphens, 1-63 characters
    /// each, not starting or ending with a hyphen. (Whether the whole name stays within 253 characters and
    /// keeps resolving to the intended address is checked by <see cref="Create"/>.)
    /// </summary>
    /// <param name="prefix">The prefix to check.</param>
    /// <param name="error">What is wrong and what to write instead, or null.</param>
    /// <returns>True when the prefix is valid.</returns>
    public static bool IsValidPrefix(string? prefix, [NotNullWhen(false)] out string? error)
    {
        if (prefix is null)
        {
            error = "The prefix is null; pass an empty string for no prefix, or labels such as 'app'";
            return false;
        }

        if (prefix.Length == 0)
        {
            error = null;
            return true;
        }

        const string example = "'app' or 'api.app'";
        if (prefix.EndsWith('.'))
        {
            error = $"The prefix '{prefix}' ends with a dot; the dot before the address is added for you, so write '{prefix.TrimEnd('.')}'";
            return false;
        }

        var subject = $"The prefix {DnsNames.Quote(prefix)}";
        error = DnsNames.TryNormalize(prefix, allowUnderscore: false, example, out var normalized, subject)
            ?? DnsNames.CheckHyphens(normalized, subject, example);
        return error is null;
    }

    /// <inheritdoc />
    public bool Equals(SslipHostname? other) => other is not null && string.Equals(Hostname, other.Hostname, StringComparison.Ordinal);

    /// <inheritdoc />
    public override bool Equals(object? obj) => Equals(obj as SslipHostname);

    /// <inheritdoc />
    public override int GetHashCode() => StringComparer.Ordinal.GetHashCode(Hostname);

    /// <summary>The canonical hostname.</summary>
    /// <returns><see cref="Hostname"/>.</returns>
    public override string ToString() => Hostname;

    internal static IReadOnlyList<string> NormalizeZones(IEnumerable<string>? zones)
    {
        if (zones is null)
        {
            return DefaultZones;
        }

        var list = new List<string>();
        foreach (var zone in zones)
        {
            var normalized = NormalizeZone(zone, nameof(zones));
            if (!list.Contains(normalized))
            {
                list.Add(normalized);
            }
        }

        if (list.Count == 0)
        {
            throw new ArgumentException("No zones were given; pass at least one, e.g. sslip.io", nameof(zones));
        }

        // Longest first, so that a zone nested in another (e.g. local.sslip.io and sslip.io) matches first.
        list.Sort(static (a, b) => b.Length.CompareTo(a.Length));
        return list.AsReadOnly();
    }

    private static string NormalizeZone(string? zone, string parameterName)
    {
        var error = DnsNames.TryNormalize(zone, allowUnderscore: false, "sslip.io", out var normalized)
            ?? DnsNames.CheckHyphens(normalized, DnsNames.Quote(zone!), "sslip.io");
        if (error is null && normalized.Length > DnsNames.MaxNameLength - 10)
        {
            error = $"The zone '{zone}' is too long to leave room for an address; use a short zone such as sslip.io";
        }

        return error is null ? normalized : throw new ArgumentException($"Invalid zone: {error}", parameterName);
    }

    private static string JoinZones(IReadOnlyList<string> zones) => zones.Count switch
    {
        1 => "." + zones[0],
        _ => string.Join(", ", zones.Take(zones.Count - 1).Select(z => "." + z)) + " or ." + zones[^1],
    };

    private static string? TryParseCore(string? input, bool allowWildcard, IReadOnlyList<string> zones, out SslipHostname? result, bool suggest = true)
    {
        result = null;
        var primaryZone = zones.Contains(DefaultZone) ? DefaultZone : zones[0];
        var example = $"app.127.0.0.1.{primaryZone}";
        if (string.IsNullOrEmpty(input))
        {
            return $"The hostname is empty; write a name that embeds an IP address, e.g. {example}";
        }

        var quoted = DnsNames.Quote(input);

        // Characters first: only LDH and dots, plus '*' which is judged below.
        for (var i = 0; i < input.Length; i++)
        {
            var c = input[i];
            if (DnsNames.IsAsciiLetterOrDigit(c) || c is '-' or '.' or '*')
            {
                continue;
            }

            var hint = c switch
            {
                ':' => $"; an IPv6 address is written with '-' instead of ':', e.g. app.2001-db8--1.{primaryZone}",
                '_' => $"; use a hyphen instead, e.g. my-app.127.0.0.1.{primaryZone}",
                '/' => $"; give only the hostname, without scheme or path, e.g. {example}",
                _ when c > 127 => $"; hostnames are ASCII (write internationalized labels in their xn-- form), e.g. {example}",
                _ => $": use only letters, digits, hyphens and dots, e.g. {example}",
            };
            return $"{quoted} contains {DnsNames.DescribeChar(c)} at position {i + 1}, which is not allowed in a hostname{hint}";
        }

        var name = DnsNames.AsciiLower(input);
        if (name.EndsWith('.'))
        {
            name = name[..^1];
        }

        var isWildcard = false;
        if (name.StartsWith("*.", StringComparison.Ordinal))
        {
            if (!allowWildcard)
            {
                return $"{quoted} is a wildcard name, which is not accepted here: drop the leading '*.' (e.g. {example}), or, where a wildcard is meant (wildcard certificates via DNS-01), parse with allowWildcard: true";
            }

            isWildcard = true;
        }

        if (name.IndexOf('*', isWildcard ? 1 : 0) >= 0)
        {
            return $"{quoted} has a '*' that is not the whole leftmost label; a wildcard may only appear as a leading '*.', e.g. *.{example}";
        }

        var error = DnsNames.CheckLengths(name, quoted, example);
        if (error is not null)
        {
            return error;
        }

        var body = isWildcard ? name[2..] : name;
        string? zone = null;
        foreach (var candidate in zones)
        {
            if (body.Length > candidate.Length
                ? body.EndsWith("." + candidate, StringComparison.Ordinal)
                : body == candidate)
            {
                zone = candidate;
                break;
            }
        }

        if (zone is null)
        {
            return $"{quoted} is not an sslip.io name: it must end in {JoinZones(zones)} and embed an IP address, e.g. {example}";
        }

        example = $"app.127.0.0.1.{zone}";
        var host = body.Length > zone.Length ? body[..(body.Length - zone.Length - 1)] : "";
        if (host.Length == 0)
        {
            return $"{quoted} is just the zone and does not embed an IP address; put one in front of .{zone}, e.g. {example}";
        }

        var v4 = SslipMatcher.FindIPv4(host);
        var v6 = SslipMatcher.FindIPv6(host);
        if (v4 is null && v6 is null)
        {
            return DiagnoseNoAddress(host, zone, quoted);
        }

        if (v4 is { } four && v6 is { } six)
        {
            return $"{quoted} is ambiguous: sslip.io reads the IPv4 address {four.Address} from '{four.Text(host)}' and the IPv6 address {six.Address} from '{six.Text(host)}', so it would answer A and AAAA queries with different addresses; keep only one address in the name, e.g. app.{four.Address}.{zone} or app.{SafeIPv6Text(six.Address)}.{zone}";
        }

        var match = (v4 ?? v6)!.Value;
        if (match.End != host.Length)
        {
            var later = SslipMatcher.FindAny(host[match.End..]);
            var why = later is null ? ""
                : Precedence(later.Value.Form) > Precedence(match.Form)
                    ? $"; a {FormName(match.Form)} address wins over {FormName(later.Value.Form)} ones"
                    : "; the leftmost address wins";
            var suggestion = suggest ? SuggestAddressLast(host, match, zone) : $"app.{match.Text(host)}.{zone}";
            return $"{quoted} is not usable: sslip.io resolves it to {match.Address} (read from '{match.Text(host)}'{why}), but that address is not right before .{zone}; put the address last and keep other addresses out of the name, e.g. {suggestion}";
        }

        var prefix = "";
        if (match.Start > 0)
        {
            prefix = host[..(match.Start - 1)];
            if (prefix.Length == 0)
            {
                // The name starts with a separator hyphen, e.g. "-1-2-3-4".
                var label = host.Split('.')[0];
                return $"{quoted}: the label '{label}' starts with a hyphen, but DNS labels must start with a letter or digit; write '{label.TrimStart('-')}' instead, e.g. {label.TrimStart('-')}.{zone}";
            }

            error = DnsNames.CheckHyphens(prefix, quoted, example);
            if (error is not null)
            {
                return error;
            }
        }

        result = new SslipHostname(prefix, match.Address, zone, match.Form, name, isWildcard);
        return null;
    }

    /// <summary>sslip.io's order for A records: dashed, then dotted, then hex (IPv6 is matched separately).</summary>
    private static int Precedence(SslipForm form) => form switch
    {
        SslipForm.Dashed => 0,
        SslipForm.Dotted => 1,
        SslipForm.Hex => 2,
        _ => 0,
    };

    private static string FormName(SslipForm form) => form switch
    {
        SslipForm.Dotted => "dotted",
        SslipForm.Dashed => "dashed",
        SslipForm.Hex => "hex",
        _ => "IPv6",
    };

    /// <summary>The dashed IPv6 text that sslip.io reads as IPv6 only (not also as an IPv4 address).</summary>
    private static string SafeIPv6Text(IPAddress address)
    {
        var bytes = address.GetAddressBytes();
        var compressed = DnsNames.FormatIPv6(bytes, '-');
        return SslipMatcher.FindIPv4(compressed) is null ? compressed : DnsNames.FormatIPv6Padded(bytes, '-');
    }

    private static string SuggestAddressLast(string host, SslipMatch match, string zone)
    {
        // Drop only the one separator next to the address: hyphens may belong to a neighbouring IPv6 address.
        var before = match.Start > 0 ? host[..(match.Start - 1)] : "";
        var after = match.End < host.Length ? host[(match.End + 1)..] : "";
        var rest = string.Join('.', new[] { before, after }.Where(s => s.Length > 0));
        var suggestion = (rest.Length > 0 ? rest + "." : "") + match.Text(host) + "." + zone;
        var error = TryParseCore(suggestion, allowWildcard: false, [zone], out var parsed, suggest: false);
        return error is null && parsed!.Address.Equals(match.Address)
            ? suggestion
            : $"app.{match.Text(host)}.{zone}";
    }

    private static string DiagnoseNoAddress(string host, string zone, string quoted)
    {
        var generic = $"{quoted} does not embed an IP address that sslip.io can read; write the address right before .{zone}, e.g. app.192.168.5.2.{zone} (dots), app-192-168-5-2.{zone} (dashes), app.c0a80502.{zone} (8 hex digits) or app.2001-db8--1.{zone} (IPv6 with '-' for ':')";
        var labels = host.Split('.');
        var last = labels[^1];

        // Looks like a dotted IPv4 in the last four labels?
        if (labels.Length >= 4 && labels[^4..].All(IsDigits))
        {
            return DiagnoseOctets(quoted, labels[^4..], '.', host, zone) ?? generic;
        }

        var parts = last.Split('-');
        if (parts.Length >= 4 && parts[^4..].All(IsDigits))
        {
            return DiagnoseOctets(quoted, parts[^4..], '-', host, zone) ?? generic;
        }

        if (last.Length == 32 && last.All(DnsNames.IsLowerHex))
        {
            return $"{quoted} uses sslip.io's 32-hex-digit IPv6 form, which LocalTls does not support; write the IPv6 address with '-' instead of ':', e.g. app.2001-db8--1.{zone}";
        }

        if (last.Contains('-') && last.All(c => c == '-' || DnsNames.IsLowerHex(c)) && (last.Contains("--", StringComparison.Ordinal) || parts.Length >= 5))
        {
            return $"{quoted}: '{last}' looks like a dashed IPv6 address but is not one; write 8 groups of 1-4 hex digits separated by '-', with '--' at most once for a run of zero groups, e.g. app.2001-db8--1.{zone}";
        }

        return generic;

        static bool IsDigits(string s) => s.Length > 0 && s.All(DnsNames.IsDigit);
    }

    private static string? DiagnoseOctets(string quoted, string[] octets, char separator, string host, string zone)
    {
        var text = string.Join(separator, octets);
        var fixedOctets = new string[4];
        var allFixable = true;
        string? problem = null;
        for (var i = 0; i < 4; i++)
        {
            var octet = octets[i];
            var trimmed = octet.TrimStart('0');
            if (trimmed.Length == 0)
            {
                trimmed = "0";
            }

            var inRange = trimmed.Length <= 3 && int.Parse(trimmed, System.Globalization.CultureInfo.InvariantCulture) <= 255;
            allFixable &= inRange;
            fixedOctets[i] = trimmed;
            if (problem is null && !inRange)
            {
                problem = $"'{octet}' in '{text}' is not an IPv4 octet (each of the four numbers must be 0-255), so sslip.io would not resolve it";
            }
            else if (problem is null && trimmed != octet)
            {
                problem = $"'{octet}' in '{text}' has a leading zero, which sslip.io does not accept (it would not resolve the name)";
            }
        }

        if (problem is null)
        {
            return null;
        }

        var suggestion = allFixable
            ? host[..^text.Length] + string.Join(separator, fixedOctets) + "." + zone
            : $"app.192.168.5.2.{zone}";
        return $"{quoted} is not usable: {problem}; write a valid address, e.g. {suggestion}";
    }
}
