using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace LocalTls.StepCa;

/// <summary>Renders step-ca 0.19.0's <c>ca.json</c> and <c>defaults.json</c>, and the URLs clients use.</summary>
/// <remarks>The output is deterministic: fixed key order, two-space indentation, <c>\n</c> line ends, a final newline.</remarks>
internal static partial class StepCaConfig
{
    private static readonly JsonSerializerOptions Indented = new()
    {
        WriteIndented = true,
        NewLine = "\n",
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    /// <summary>
    /// Renders <c>ca.json</c>: certificate and key paths from <paramref name="layout"/>, listener, names, database,
    /// logger, authority claims and ACME provisioners from <paramref name="options"/>.
    /// </summary>
    /// <exception cref="StepCaConfigurationException">The options are not valid; the message says what to write instead.</exception>
    public static string RenderCaJson(StepCaLayout layout, StepCaOptions options)
    {
        ArgumentNullException.ThrowIfNull(layout);
        ArgumentNullException.ThrowIfNull(options);
        ThrowIfInvalid(options);

        var provisioners = new JsonArray();
        foreach (var p in options.Provisioners)
        {
            var provisioner = new JsonObject
            {
                ["type"] = "ACME",
                ["name"] = p.Name,
            };
            if (p.ForceCN)
            {
                provisioner["forceCN"] = true;
            }

            provisioner["challenges"] = new JsonArray([.. p.Challenges.Select(c => (JsonNode)ChallengeName(c))]);
            if (p.Claims is { IsEmpty: false } claims)
            {
                provisioner["claims"] = Claims(claims);
            }

            provisioners.Add(provisioner);
        }

        var authority = new JsonObject();
        if (options.Claims is { IsEmpty: false } authorityClaims)
        {
            authority["claims"] = Claims(authorityClaims);
        }

        authority["provisioners"] = provisioners;

        var root = new JsonObject
        {
            ["root"] = layout.RootCertificatePath,
            ["crt"] = layout.IntermediateCertificatePath,
            ["key"] = layout.IntermediateKeyPath,
            ["address"] = options.Address,
            ["dnsNames"] = new JsonArray([.. DistinctDnsNames(options).Select(n => (JsonNode)n)]),
            ["logger"] = new JsonObject { ["format"] = options.LogFormat == StepCaLogFormat.Json ? "json" : "text" },
            ["db"] = Database(layout, options.Database),
            ["authority"] = authority,
        };
        return root.ToJsonString(Indented) + "\n";
    }

    /// <summary>
    /// Renders <c>defaults.json</c>, the step CLI's view of this CA:
    /// <c>{"ca-url", "ca-config", "fingerprint", "root"}</c>.
    /// </summary>
    /// <param name="layout">Where <c>ca.json</c> and the root certificate are.</param>
    /// <param name="caUrl">The CA's URL, e.g. <see cref="BaseUrl(StepCaOptions)"/>.</param>
    /// <param name="rootFingerprint">The SHA-256 fingerprint of the root certificate, 64 hex digits (colons allowed).</param>
    /// <exception cref="ArgumentException">The URL is not absolute https, or the fingerprint is not 64 hex digits.</exception>
    public static string RenderDefaultsJson(StepCaLayout layout, Uri caUrl, string rootFingerprint)
    {
        ArgumentNullException.ThrowIfNull(layout);
        ArgumentNullException.ThrowIfNull(caUrl);
        if (!caUrl.IsAbsoluteUri || caUrl.Scheme != Uri.UriSchemeHttps)
        {
            throw new ArgumentException($"The CA URL '{caUrl}' must be an absolute https URL, like 'https://step-ca.step-ca.svc.cluster.local:9000'.", nameof(caUrl));
        }

        var defaults = new JsonObject
        {
            ["ca-url"] = caUrl.GetLeftPart(UriPartial.Authority),
            ["ca-config"] = layout.CaConfigPath,
            ["fingerprint"] = NormalizeFingerprint(rootFingerprint),
            ["root"] = layout.RootCertificatePath,
        };
        return defaults.ToJsonString(Indented) + "\n";
    }

    /// <summary>
    /// step-ca's primary URL for these options, as step-ca itself prints it: <c>https://{first DNS name}:{port}</c>.
    /// With the defaults: <c>https://step-ca.step-ca.svc.cluster.local:9000</c>.
    /// </summary>
    /// <exception cref="StepCaConfigurationException">The options are not valid.</exception>
    public static Uri BaseUrl(StepCaOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        ThrowIfInvalid(options);
        StepCaOptionsValidator.TryParseAddress(options.Address, out _, out var port, out _);
        var host = DistinctDnsNames(options)[0];
        if (host.Contains(':', StringComparison.Ordinal))
        {
            host = "[" + host + "]";
        }

        return new Uri($"https://{host}:{port.ToString(CultureInfo.InvariantCulture)}");
    }

    /// <summary>
    /// The ACME directory URL of a provisioner: <c>{baseUrl}/acme/{provisioner}/directory</c>, e.g.
    /// <c>https://step-ca.step-ca.svc.cluster.local:9000/acme/acme/directory</c>.
    /// </summary>
    /// <param name="baseUrl">step-ca's URL; any path it has is kept, a trailing slash is not doubled.</param>
    /// <param name="provisioner">The ACME provisioner's name.</param>
    public static Uri AcmeDirectoryUrl(Uri baseUrl, string provisioner = AcmeProvisionerOptions.DefaultName)
    {
        ArgumentNullException.ThrowIfNull(baseUrl);
        ArgumentException.ThrowIfNullOrWhiteSpace(provisioner);
        if (!baseUrl.IsAbsoluteUri)
        {
            throw new ArgumentException($"The base URL '{baseUrl}' must be absolute, like 'https://step-ca.step-ca.svc.cluster.local:9000'.", nameof(baseUrl));
        }

        var left = baseUrl.GetLeftPart(UriPartial.Path).TrimEnd('/');
        return new Uri($"{left}/acme/{Uri.EscapeDataString(provisioner)}/directory");
    }

    /// <summary>The ACME name of a challenge type: <c>http-01</c>, <c>dns-01</c>, <c>tls-alpn-01</c>.</summary>
    public static string ChallengeName(StepCaAcmeChallenge challenge) => challenge switch
    {
        StepCaAcmeChallenge.Http01 => "http-01",
        StepCaAcmeChallenge.Dns01 => "dns-01",
        StepCaAcmeChallenge.TlsAlpn01 => "tls-alpn-01",
        _ => throw new ArgumentOutOfRangeException(nameof(challenge), challenge, "Use Http01, Dns01 or TlsAlpn01."),
    };

    /// <summary>A duration in Go's <c>time.ParseDuration</c> form, as step-ca reads claims: <c>24h</c>, <c>1h30m</c>, <c>2160h</c>, <c>1s500ms</c>.</summary>
    public static string FormatDuration(TimeSpan duration)
    {
        if (duration == TimeSpan.Zero)
        {
            return "0s";
        }

        var builder = new StringBuilder();
        var ticks = duration.Ticks;
        if (ticks < 0)
        {
            builder.Append('-');
            ticks = -ticks;
        }

        void Part(long unitTicks, string suffix)
        {
            var count = ticks / unitTicks;
            if (count > 0)
            {
                builder.Append(count.ToString(CultureInfo.InvariantCulture)).Append(suffix);
                ticks -= count * unitTicks;
            }
        }

        Part(TimeSpan.TicksPerHour, "h");
        Part(TimeSpan.TicksPerMinute, "m");
        Part(TimeSpan.TicksPerSecond, "s");
        Part(TimeSpan.TicksPerMillisecond, "ms");
        Part(TimeSpan.TicksPerMicrosecond, "us");
        if (ticks > 0)
        {
            builder.Append((ticks * 100).ToString(CultureInfo.InvariantCulture)).Append("ns");
        }

        return builder.ToString();
    }

    /// <summary>
    /// Reads a duration in Go's <c>time.ParseDuration</c> form, the inverse of <see cref="FormatDuration"/>:
    /// <c>2160h</c>, <c>1h30m</c>, <c>1.5h</c>, <c>90s</c>. Negative durations and a bare number other than 0 are refused.
    /// </summary>
    internal static bool TryParseDuration(string? text, out TimeSpan duration)
    {
        duration = TimeSpan.Zero;
        if (string.IsNullOrWhiteSpace(text))
        {
            return false;
        }

        if (text == "0")
        {
            return true;
        }

        var match = GoDuration().Match(text);
        if (!match.Success)
        {
            return false;
        }

        decimal ticks = 0;
        for (var i = 0; i < match.Groups["number"].Captures.Count; i++)
        {
            decimal unit = match.Groups["unit"].Captures[i].Value switch
            {
                "h" => TimeSpan.TicksPerHour,
                "m" => TimeSpan.TicksPerMinute,
                "s" => TimeSpan.TicksPerSecond,
                "ms" => TimeSpan.TicksPerMillisecond,
                "us" or "\u00b5s" or "\u03bcs" => TimeSpan.TicksPerMicrosecond,
                _ => 0.01m, // ns: a tick is 100 ns
            };
            if (!decimal.TryParse(match.Groups["number"].Captures[i].Value, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var number) || number > TimeSpan.MaxValue.Ticks / unit)
            {
                return false;
            }

            ticks += number * unit;
            if (ticks > TimeSpan.MaxValue.Ticks)
            {
                return false;
            }
        }

        duration = TimeSpan.FromTicks((long)decimal.Round(ticks));
        return true;
    }

    internal static IReadOnlyList<string> DistinctDnsNames(StepCaOptions options) =>
        [.. options.DnsNames.Where(n => !string.IsNullOrWhiteSpace(n)).Select(n => n.Trim()).Distinct(StringComparer.OrdinalIgnoreCase)];

    internal static string NormalizeFingerprint(string fingerprint)
    {
        ArgumentNullException.ThrowIfNull(fingerprint);
        var hex = fingerprint.Replace(":", "", StringComparison.Ordinal).Trim().ToLowerInvariant();
        if (!Sha256Hex().IsMatch(hex))
        {
            throw new ArgumentException($"'{fingerprint}' is not a SHA-256 fingerprint: it must be 64 hex digits, as 'step certificate fingerprint root_ca.crt' prints.", nameof(fingerprint));
        }

        return hex;
    }

    internal static string DataSource(StepCaLayout layout, StepCaDatabaseOptions database) =>
        database.DataSource ?? (database.Type == StepCaDatabaseType.BBolt ? layout.Resolve(StepCaLayout.DbFolder + "/step.db") : layout.DbDirectory);

    private static void ThrowIfInvalid(StepCaOptions options)
    {
        var errors = options.Validate();
        if (errors.Count > 0)
        {
            throw new StepCaConfigurationException(errors);
        }
    }

    private static JsonObject Database(StepCaLayout layout, StepCaDatabaseOptions database)
    {
        var db = new JsonObject
        {
            ["type"] = database.Type == StepCaDatabaseType.BBolt ? "bbolt" : "badgerv2",
            ["dataSource"] = DataSource(layout, database),
        };
        if (database.BadgerFileLoadingMode is { } mode)
        {
            db["badgerFileLoadingMode"] = mode == BadgerFileLoadingMode.FileIO ? "fileio" : "mmap";
        }

        return db;
    }

    private static JsonObject Claims(StepCaClaimsOptions claims)
    {
        var json = new JsonObject();
        if (claims.MinTlsCertDuration is { } min)
        {
            json["minTLSCertDuration"] = FormatDuration(min);
        }

        if (claims.MaxTlsCertDuration is { } max)
        {
            json["maxTLSCertDuration"] = FormatDuration(max);
        }

        if (claims.DefaultTlsCertDuration is { } def)
        {
            json["defaultTLSCertDuration"] = FormatDuration(def);
        }

        return json;
    }

    [GeneratedRegex("^(?:(?<number>[0-9]+(?:\\.[0-9]*)?|\\.[0-9]+)(?<unit>ns|us|\u00b5s|\u03bcs|ms|s|m|h))+$")]
    private static partial Regex GoDuration();

    [GeneratedRegex("^[0-9a-f]{64}$")]
    private static partial Regex Sha256Hex();
}
