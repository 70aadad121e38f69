using System.Globalization;
using System.Net;
using System.Text;
using System.Text.RegularExpressions;

namespace LocalTls.StepCa;

internal static partial class StepCaOptionsValidator
{
    public static IReadOnlyList<string> Validate(StepCaOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var errors = new List<string>();
        ValidateAddress(options.Address, errors);
        ValidateDnsNames(options.DnsNames, errors);
        ValidateDatabase(options.Database, errors);
        if (!Enum.IsDefined(options.LogFormat))
        {
            errors.Add($"LogFormat {(int)options.LogFormat} is not a step-ca log format: use Text or Json.");
        }

        var authority = ValidateClaims("The authority claims (StepCaOptions.Claims)", options.Claims, Step, errors);
        ValidateProvisioners(options.Provisioners, authority ?? Step, errors);
        return errors;
    }

    /// <summary>step-ca's built-in claims (config.GlobalProvisionerClaims).</summary>
    private static readonly Effective Step = new(StepCaClaimsOptions.StepCaDefaultMin, StepCaClaimsOptions.StepCaDefaultMax, StepCaClaimsOptions.StepCaDefaultDefault, "step-ca's default");

    internal static bool TryParseAddress(string? address, out string host, out int port, out string? problem)
    {
        host = "";
        port = 0;
        problem = null;
        if (string.IsNullOrWhiteSpace(address))
        {
            problem = "is empty";
            return false;
        }

        if (address.Contains("://", StringComparison.Ordinal))
        {
            problem = "has a URL scheme; write only host:port";
            return false;
        }

        string portText;
        if (address.StartsWith('['))
        {
            var close = address.IndexOf("]:", StringComparison.Ordinal);
            if (close < 0)
            {
                problem = "starts with '[' but has no ']:port'";
                return false;
            }

            host = address[1..close];
            portText = address[(close + 2)..];
            if (!IPAddress.TryParse(host, out var ip) || ip.AddressFamily != System.Net.Sockets.AddressFamily.InterNetworkV6)
            {
                problem = $"has '{host}' in brackets, which is not an IPv6 address";
                return false;
            }
        }
        else
        {
            var colon = address.LastIndexOf(':');
            if (colon < 0)
            {
                problem = "has no port";
                return false;
            }

            host = address[..colon];
            portText = address[(colon + 1)..];
            if (host.Contains(':', StringComparison.Ordinal))
            {
                problem = "is an IPv6 address without brackets";
                return false;
            }

            if (host.Length > 0 && !IsDnsNameOrIp(host, allowWildcard: false))
            {
                problem = $"has host '{host}', which is neither a host name nor an IP address";
                return false;
            }
        }

        if (!int.TryParse(portText, NumberStyles.None, CultureInfo.InvariantCulture, out port) || port is < 1 or > 65535)
        {
            problem = $"has port '{portText}'; a port is a number from 1 to 65535";
            return false;
        }

        return true;
    }

    private static void ValidateAddress(string? address, List<string> errors)
    {
        if (!TryParseAddress(address, out _, out _, out var problem))
        {
            errors.Add($"Address '{address}' {problem}. Write ':9000' to listen on every interface, '127.0.0.1:9000' for one address, or '[::1]:9000' for IPv6.");
        }
    }

    private static void ValidateDnsNames(IList<string>? names, List<string> errors)
    {
        if (names is null || names.Count == 0 || names.All(string.IsNullOrWhiteSpace))
        {
            errors.Add($"DnsNames is empty: step-ca needs at least one name for its own TLS certificate. Write e.g. [{string.Join(", ", StepCaOptions.ClusterServiceDnsNames.Select(n => $"\"{n}\""))}, \"localhost\"].");
            return;
        }

        foreach (var name in names)
        {
            if (string.IsNullOrWhiteSpace(name))
            {
                errors.Add("DnsNames has an empty entry: remove it.");
                continue;
            }

            if (IsDnsNameOrIp(name.Trim(), allowWildcard: true))
            {
                continue;
            }

            var hint = SuggestHost(name);
            errors.Add(hint is null || hint == name
                ? $"DnsNames entry '{name}' is neither a DNS name nor an IP address. Write a bare name like 'step-ca.example.test' or an address like '127.0.0.1'."
                : $"DnsNames entry '{name}' is not a bare DNS name or IP address: write '{hint}' (no scheme, port or path).");
        }
    }

    private static string? SuggestHost(string name)
    {
        var text = name.Trim();
        foreach (var candidate in new[] { text, "https://" + text })
        {
            if (Uri.TryCreate(candidate, UriKind.Absolute, out var uri) && !string.IsNullOrEmpty(uri.Host))
            {
                // Only a host written out in the entry: Uri would turn "1.2.3" into "1.2.0.3".
                var host = uri.Host.Trim('[', ']');
                return IsDnsNameOrIp(host, allowWildcard: true) && text.Contains(host, StringComparison.OrdinalIgnoreCase) ? host : null;
            }
        }

        return null;
    }

    internal static bool IsDnsNameOrIp(string name, bool allowWildcard)
    {
        if (name.Contains(':', StringComparison.Ordinal))
        {
            return IPAddress.TryParse(name, out var v6) && v6.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6;
        }

        if (IPv4Syntax().IsMatch(name))
        {
            return name.Split('.').Length == 4 && IPAddress.TryParse(name, out _);
        }

        if (allowWildcard && name.StartsWith("*.", StringComparison.Ordinal))
        {
            name = name[2..];
        }

        return name.Length <= 253 && DnsNameSyntax().IsMatch(name);
    }

    private static void ValidateDatabase(StepCaDatabaseOptions? database, List<string> errors)
    {
        if (database is null)
        {
            errors.Add("Database is null: ACME in step-ca needs a database. Leave Database at its default (badgerv2 in the layout's db folder).");
            return;
        }

        if (!Enum.IsDefined(database.Type))
        {
            errors.Add($"Database.Type {(int)database.Type} is not a step-ca database: use BadgerV2 or BBolt.");
        }

        if (database.DataSource is not null && string.IsNullOrWhiteSpace(database.DataSource))
        {
            errors.Add("Database.DataSource is blank: leave it null to use the layout's db folder, or write a path.");
        }

        if (database.BadgerFileLoadingMode is { } mode)
        {
            if (database.Type != StepCaDatabaseType.BadgerV2)
            {
                errors.Add($"Database.BadgerFileLoadingMode applies to badger only, but Database.Type is {database.Type}: remove BadgerFileLoadingMode or use BadgerV2.");
            }
            else if (!Enum.IsDefined(mode))
            {
                errors.Add($"Database.BadgerFileLoadingMode {(int)mode} is not a badger loading mode: use MemoryMap or FileIO.");
            }
        }
    }

    private static void ValidateProvisioners(IList<AcmeProvisionerOptions>? provisioners, Effective authority, List<string> errors)
    {
        if (provisioners is null || provisioners.Count == 0)
        {
            errors.Add($"Provisioners is empty: add an ACME provisioner, e.g. new AcmeProvisionerOptions {{ Name = \"{AcmeProvisionerOptions.DefaultName}\" }}.");
            return;
        }

        var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        for (var i = 0; i < provisioners.Count; i++)
        {
            var p = provisioners[i];
            if (p is null)
            {
                errors.Add($"Provisioners[{i}] is null: remove it.");
                continue;
            }

            var label = $"ACME provisioner '{p.Name}'";
            if (string.IsNullOrWhiteSpace(p.Name))
            {
                label = $"Provisioners[{i}]";
                errors.Add($"Provisioners[{i}] has no name: give it a URL-safe name like '{AcmeProvisionerOptions.DefaultName}'.");
            }
            else if (!StepCaRules.IsProvisionerName(p.Name))
            {
                errors.Add($"ACME provisioner name '{p.Name}' is not URL-safe: it becomes part of the ACME directory URL (/acme/{{name}}/directory). Use letters, digits, '-', '_' and '.', e.g. '{SuggestProvisionerName(p.Name)}'.");
            }
            else if (!seen.Add(p.Name))
            {
                errors.Add($"ACME provisioner name '{p.Name}' is used twice: give each provisioner its own name, e.g. '{p.Name}-2'.");
            }

            if (p.Challenges is null || p.Challenges.Count == 0)
            {
                errors.Add($"{label} has no challenges: list at least one of Http01, Dns01, TlsAlpn01.");
            }
            else
            {
                foreach (var c in p.Challenges.Where(c => !Enum.IsDefined(c)).Distinct())
                {
                    errors.Add($"{label} has challenge {(int)c}, which is not an ACME challenge: use Http01, Dns01 or TlsAlpn01.");
                }

                foreach (var c in p.Challenges.Where(Enum.IsDefined).GroupBy(c => c).Where(g => g.Count() > 1))
                {
                    errors.Add($"{label} lists challenge {StepCaConfig.ChallengeName(c.Key)} {c.Count()} times: list it once.");
                }
            }

            if (p.Claims is not null)
            {
                ValidateClaims($"The claims of {label}", p.Claims, authority, errors);
            }
        }
    }

    private static string SuggestProvisionerName(string name)
    {
        var builder = new StringBuilder();
        foreach (var ch in name.Trim().ToLowerInvariant())
        {
            builder.Append(char.IsAsciiLetterOrDigit(ch) || ch is '-' or '_' or '.' ? ch : '-');
        }

        var suggestion = MultipleDashes().Replace(builder.ToString(), "-").Trim('-', '.', '_');
        return suggestion.Length == 0 ? AcmeProvisionerOptions.DefaultName : suggestion;
    }

    private sealed record Effective(TimeSpan Min, TimeSpan Max, TimeSpan Default, string Inherited);

    /// <summary>
    /// The lifetimes a provisioner allows: its own claims over the authority's over step-ca's, as step-ca's Claimer
    /// resolves them; <see langword="null"/> when the claims are invalid (their own check says why).
    /// </summary>
    internal static (TimeSpan Min, TimeSpan Max)? Lifetimes(StepCaClaimsOptions? authority, StepCaClaimsOptions? provisioner)
    {
        var ignored = new List<string>();
        var effective = ValidateClaims("", authority, Step, ignored) is { } a ? ValidateClaims("", provisioner, a, ignored) : null;
        return effective is null ? null : (effective.Min, effective.Max);
    }

    /// <summary>Validates claims the way step-ca's Claimer does, against the claims they inherit from.</summary>
    /// <returns>The effective claims, or null when they are invalid.</returns>
    private static Effective? ValidateClaims(string label, StepCaClaimsOptions? claims, Effective parent, List<string> errors)
    {
        claims ??= new StepCaClaimsOptions();
        var before = errors.Count;
        foreach (var (name, value) in new[] { ("MinTlsCertDuration", claims.MinTlsCertDuration), ("MaxTlsCertDuration", claims.MaxTlsCertDuration), ("DefaultTlsCertDuration", claims.DefaultTlsCertDuration) })
        {
            if (value is { } v && v <= TimeSpan.Zero)
            {
                errors.Add($"{label}: {name} is {StepCaConfig.FormatDuration(v)}; it must be more than zero, e.g. {(name.StartsWith("Min", StringComparison.Ordinal) ? "5m" : "24h")}, or null to inherit.");
            }
        }

        if (errors.Count > before)
        {
            return null;
        }

        // Mirrors provisioner.Claimer: an unset min or max follows an explicit default that lies outside the inherited range.
        var def = claims.DefaultTlsCertDuration ?? parent.Default;
        var min = claims.MinTlsCertDuration ?? (claims.DefaultTlsCertDuration is { } d1 && d1 < parent.Min ? d1 : parent.Min);
        var max = claims.MaxTlsCertDuration ?? (claims.DefaultTlsCertDuration is { } d2 && d2 > parent.Max ? d2 : parent.Max);
        string Show(TimeSpan value, TimeSpan? own) => own is null ? $"{StepCaConfig.FormatDuration(value)}, inherited from {parent.Inherited}" : StepCaConfig.FormatDuration(value);

        if (max < min)
        {
            errors.Add($"{label}: MinTlsCertDuration ({Show(min, claims.MinTlsCertDuration)}) is more than MaxTlsCertDuration ({Show(max, claims.MaxTlsCertDuration)}). Set MaxTlsCertDuration to at least {StepCaConfig.FormatDuration(min)}, or MinTlsCertDuration to at most {StepCaConfig.FormatDuration(max)}.");
        }
        else if (def < min)
        {
            errors.Add($"{label}: DefaultTlsCertDuration ({Show(def, claims.DefaultTlsCertDuration)}) is less than MinTlsCertDuration ({Show(min, claims.MinTlsCertDuration)}). The default must lie between min and max: set DefaultTlsCertDuration to at least {StepCaConfig.FormatDuration(min)}, or lower MinTlsCertDuration.");
        }
        else if (def > max)
        {
            errors.Add($"{label}: DefaultTlsCertDuration ({Show(def, claims.DefaultTlsCertDuration)}) is more than MaxTlsCertDuration ({Show(max, claims.MaxTlsCertDuration)}). The default must lie between min and max: set MaxTlsCertDuration to at least {StepCaConfig.FormatDuration(def)}, or DefaultTlsCertDuration to at most {StepCaConfig.FormatDuration(max)}.");
        }

        return errors.Count > before ? null : new Effective(min, max, def, "the authority claims");
    }

    [GeneratedRegex(@"^(?=.{1,253}\.?$)[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.?$")]
    private static partial Regex DnsNameSyntax();

    [GeneratedRegex(@"^[0-9.]+$")]
    private static partial Regex IPv4Syntax();

    [GeneratedRegex("-{2,}")]
    private static partial Regex MultipleDashes();
}
