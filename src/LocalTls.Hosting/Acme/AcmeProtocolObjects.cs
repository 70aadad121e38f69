using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace LocalTls.Acme;

/// <summary>An identifier in an order: <c>dns</c> (a host name, possibly <c>*.</c> wildcard) or <c>ip</c> (RFC 8738).</summary>
/// <param name="Type"><c>dns</c> or <c>ip</c>.</param>
/// <param name="Value">The name or address.</param>
internal sealed record AcmeIdentifier(
    [property: JsonPropertyName("type")] string Type,
    [property: JsonPropertyName("value")] string Value)
{
    /// <summary>An identifier for a name: <c>ip</c> when it is an IP address, else <c>dns</c> (lower case).</summary>
    /// <param name="name">A host name (<c>app.127.0.0.1.sslip.io</c>, <c>*.127.0.0.1.sslip.io</c>) or an IP address.</param>
    /// <returns>The identifier.</returns>
    /// <exception cref="ArgumentException">The name is empty.</exception>
    public static AcmeIdentifier For(string name)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        var trimmed = name.Trim().TrimEnd('.');
        if (IPAddress.TryParse(trimmed.Trim('[', ']'), out var address) && (trimmed.Contains(':') || address.AddressFamily == AddressFamily.InterNetwork && trimmed.Count(c => c == '.') == 3))
        {
            return new AcmeIdentifier("ip", address.ToString());
        }

        return new AcmeIdentifier("dns", trimmed.ToLowerInvariant());
    }

    /// <summary>Whether this is a wildcard name (<c>*.example</c>).</summary>
    [JsonIgnore]
    public bool IsWildcard => Type == "dns" && Value.StartsWith("*.", StringComparison.Ordinal);

    /// <inheritdoc />
    public override string ToString() => Type == "dns" ? Value : $"{Value} ({Type})";
}

/// <summary>Resource status values (RFC 8555 §7.1.6).</summary>
internal static class AcmeStatus
{
    /// <summary><c>pending</c>.</summary>
    public const string Pending = "pending";

    /// <summary><c>ready</c> (orders: all authorizations valid, finalize now).</summary>
    public const string Ready = "ready";

    /// <summary><c>processing</c>.</summary>
    public const string Processing = "processing";

    /// <summary><c>valid</c>.</summary>
    public const string Valid = "valid";

    /// <summary><c>invalid</c>.</summary>
    public const string Invalid = "invalid";

    /// <summary><c>deactivated</c>.</summary>
    public const string Deactivated = "deactivated";

    /// <summary><c>expired</c>.</summary>
    public const string Expired = "expired";

    /// <summary><c>revoked</c>.</summary>
    public const string Revoked = "revoked";
}

/// <summary>Challenge type names.</summary>
internal static class AcmeChallengeTypes
{
    /// <summary><c>http-01</c>: a file on port 80 of the name.</summary>
    public const string Http01 = "http-01";

    /// <summary><c>dns-01</c>: a TXT record at <c>_acme-challenge.{name}</c>; the only type for wildcards.</summary>
    public const string Dns01 = "dns-01";

    /// <summary><c>tls-alpn-01</c> (not solved by this library).</summary>
    public const string TlsAlpn01 = "tls-alpn-01";
}

/// <summary>The server's directory: where each operation is (RFC 8555 §7.1.1).</summary>
internal sealed class AcmeDirectory
{
    /// <summary>Where to get a fresh nonce.</summary>
    [JsonPropertyName("newNonce")]
    public required Uri NewNonce { get; init; }

    /// <summary>Where to create or find an account.</summary>
    [JsonPropertyName("newAccount")]
    public required Uri NewAccount { get; init; }

    /// <summary>Where to create an order.</summary>
    [JsonPropertyName("newOrder")]
    public required Uri NewOrder { get; init; }

    /// <summary>Where to revoke a certificate, if offered.</summary>
    [JsonPropertyName("revokeCert")]
    public Uri? RevokeCert { get; init; }

    /// <summary>Where to roll the account key, if offered.</summary>
    [JsonPropertyName("keyChange")]
    public Uri? KeyChange { get; init; }
}

/// <summary>An account (RFC 8555 §7.1.2).</summary>
internal sealed class AcmeAccount
{
    /// <summary>The account URL: the <c>kid</c> of later requests.</summary>
    [JsonIgnore]
    public Uri Url { get; internal set; } = null!;

    /// <summary>Whether the server created it just now (201) rather than finding it (200).</summary>
    [JsonIgnore]
    public bool Created { get; internal set; }

    /// <summary><c>valid</c>, <c>deactivated</c> or <c>revoked</c>.</summary>
    [JsonPropertyName("status")]
    public string? Status { get; init; }

    /// <summary>Contact URLs (<c>mailto:</c>).</summary>
    [JsonPropertyName("contact")]
    public IReadOnlyList<string>? Contact { get; init; }

    /// <summary>Where the account's orders are listed, if offered.</summary>
    [JsonPropertyName("orders")]
    public Uri? Orders { get; init; }
}

/// <summary>An order (RFC 8555 §7.1.3).</summary>
internal sealed class AcmeOrder
{
    /// <summary>The order URL.</summary>
    [JsonIgnore]
    public Uri Url { get; internal set; } = null!;

    /// <summary>The status: <c>pending</c>, <c>ready</c>, <c>processing</c>, <c>valid</c> or <c>invalid</c>.</summary>
    [JsonPropertyName("status")]
    public string Status { get; init; } = "";

    /// <summary>When the order expires.</summary>
    [JsonPropertyName("expires")]
    public DateTimeOffset? Expires { get; init; }

    /// <summary>The identifiers.</summary>
    [JsonPropertyName("identifiers")]
    public IReadOnlyList<AcmeIdentifier> Identifiers { get; init; } = [];

    /// <summary>The requested start of validity, if any.</summary>
    [JsonPropertyName("notBefore")]
    public DateTimeOffset? NotBefore { get; init; }

    /// <summary>The requested end of validity, if any.</summary>
    [JsonPropertyName("notAfter")]
    public DateTimeOffset? NotAfter { get; init; }

    /// <summary>The authorization URLs, one per identifier.</summary>
    [JsonPropertyName("authorizations")]
    public IReadOnlyList<Uri> Authorizations { get; init; } = [];

    /// <summary>Where to send the CSR.</summary>
    [JsonPropertyName("finalize")]
    public Uri? Finalize { get; init; }

    /// <summary>Where the certificate is, once <c>valid</c>.</summary>
    [JsonPropertyName("certificate")]
    public Uri? Certificate { get; init; }

    /// <summary>Why the order failed, if it did.</summary>
    [JsonIgnore]
    public AcmeProblem? Error { get; internal set; }

    [JsonPropertyName("error")]
    [JsonInclude]
    internal JsonElement? ErrorJson { get; init; }
}

/// <summary>An authorization: proof of control of one identifier (RFC 8555 §7.1.4).</summary>
internal sealed class AcmeAuthorization
{
    /// <summary>The authorization URL.</summary>
    [JsonIgnore]
    public Uri Url { get; internal set; } = null!;

    /// <summary>The identifier, without the <c>*.</c> of a wildcard (see <see cref="Wildcard"/>).</summary>
    [JsonPropertyName("identifier")]
    public AcmeIdentifier Identifier { get; init; } = new("dns", "");

    /// <summary>The status: <c>pending</c>, <c>valid</c>, <c>invalid</c>, …</summary>
    [JsonPropertyName("status")]
    public string Status { get; init; } = "";

    /// <summary>When it expires.</summary>
    [JsonPropertyName("expires")]
    public DateTimeOffset? Expires { get; init; }

    /// <summary>Whether it is for a wildcard name (then only dns-01 is offered).</summary>
    [JsonPropertyName("wildcard")]
    public bool Wildcard { get; init; }

    /// <summary>The challenges offered; one of them must be solved.</summary>
    [JsonPropertyName("challenges")]
    public IReadOnlyList<AcmeChallenge> Challenges { get; init; } = [];

    /// <summary>The name as ordered: <c>*.{identifier}</c> for a wildcard.</summary>
    [JsonIgnore]
    public string OrderedName => Wildcard ? "*." + Identifier.Value : Identifier.Value;

    /// <summary>The challenge of a type, or <see langword="null"/> when the server does not offer it.</summary>
    /// <param name="type">e.g. <see cref="AcmeChallengeTypes.Http01"/>.</param>
    /// <returns>The challenge, or <see langword="null"/>.</returns>
    public AcmeChallenge? GetChallenge(string type) => Challenges.FirstOrDefault(c => c.Type == type);
}

/// <summary>A challenge (RFC 8555 §7.1.5, §8).</summary>
internal sealed class AcmeChallenge
{
    /// <summary>The type: <c>http-01</c>, <c>dns-01</c>, <c>tls-alpn-01</c>.</summary>
    [JsonPropertyName("type")]
    public string Type { get; init; } = "";

    /// <summary>Where to say "ready, validate now".</summary>
    [JsonPropertyName("url")]
    public Uri Url { get; init; } = null!;

    /// <summary>The status: <c>pending</c>, <c>processing</c>, <c>valid</c> or <c>invalid</c>.</summary>
    [JsonPropertyName("status")]
    public string Status { get; init; } = "";

    /// <summary>The token the key authorization is made from.</summary>
    [JsonPropertyName("token")]
    public string Token { get; init; } = "";

    /// <summary>When it was validated.</summary>
    [JsonPropertyName("validated")]
    public DateTimeOffset? Validated { get; init; }

    /// <summary>
    /// The last validation error the server attached. step-ca 0.19 attaches connection and DNS errors while
    /// leaving the challenge <c>pending</c>.
    /// </summary>
    [JsonIgnore]
    public AcmeProblem? Error { get; internal set; }

    [JsonPropertyName("error")]
    [JsonInclude]
    internal JsonElement? ErrorJson { get; init; }
}
