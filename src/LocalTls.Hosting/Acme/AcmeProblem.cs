using System.Net;
using System.Text;
using System.Text.Json;

namespace LocalTls.Acme;

/// <summary>An ACME problem document (RFC 8555 §6.7, RFC 7807): what the server said went wrong.</summary>
internal sealed class AcmeProblem
{
    /// <summary>The prefix of the ACME problem types, <c>urn:ietf:params:acme:error:</c>.</summary>
    public const string AcmeErrorPrefix = "urn:ietf:params:acme:error:";

    /// <summary>The nonce was not one the server gave out (or was used already); the request may be sent again with a fresh one.</summary>
    public const string BadNonce = AcmeErrorPrefix + "badNonce";

    /// <summary>The <c>onlyReturnExisting</c> lookup found no account for the key.</summary>
    public const string AccountDoesNotExist = AcmeErrorPrefix + "accountDoesNotExist";

    /// <summary>The server could not connect to the validation target (HTTP-01, TLS-ALPN-01).</summary>
    public const string Connection = AcmeErrorPrefix + "connection";

    /// <summary>The server could not look up the DNS-01 TXT record.</summary>
    public const string Dns = AcmeErrorPrefix + "dns";

    /// <summary>The request was malformed.</summary>
    public const string Malformed = AcmeErrorPrefix + "malformed";

    /// <summary>The server will not issue for this identifier (step-ca also uses it for a wrong key authorization).</summary>
    public const string RejectedIdentifier = AcmeErrorPrefix + "rejectedIdentifier";

    /// <summary>The client lacks authorization (e.g. the account does not own the resource).</summary>
    public const string Unauthorized = AcmeErrorPrefix + "unauthorized";

    /// <summary>The order is not ready to be finalized.</summary>
    public const string OrderNotReady = AcmeErrorPrefix + "orderNotReady";

    /// <summary>The CSR is unacceptable.</summary>
    public const string BadCsr = AcmeErrorPrefix + "badCSR";

    /// <summary>The server failed internally.</summary>
    public const string ServerInternal = AcmeErrorPrefix + "serverInternal";

    /// <summary>The certificate was already revoked.</summary>
    public const string AlreadyRevoked = AcmeErrorPrefix + "alreadyRevoked";

    /// <summary>Creates a problem.</summary>
    /// <param name="type">The problem type URI, e.g. <see cref="BadNonce"/>.</param>
    /// <param name="detail">The server's explanation.</param>
    public AcmeProblem(string type, string? detail = null)
    {
        Type = string.IsNullOrEmpty(type) ? "about:blank" : type;
        Detail = detail;
    }

    /// <summary>The problem type URI, e.g. <c>urn:ietf:params:acme:error:connection</c>.</summary>
    public string Type { get; }

    /// <summary>The server's explanation for a person, if any.</summary>
    public string? Detail { get; }

    /// <summary>The HTTP status the problem came with (from the document, else from the response).</summary>
    public int? Status { get; init; }

    /// <summary>The identifier the problem is about (mostly on subproblems).</summary>
    public AcmeIdentifier? Identifier { get; init; }

    /// <summary>Problems with single identifiers, for a request about several (RFC 8555 §6.7.1).</summary>
    public IReadOnlyList<AcmeProblem> Subproblems { get; init; } = [];

    /// <summary>The type without the ACME prefix, e.g. <c>connection</c>; the whole type for other URIs.</summary>
    public string ShortType => Type.StartsWith(AcmeErrorPrefix, StringComparison.Ordinal) ? Type[AcmeErrorPrefix.Length..] : Type;

    /// <summary>Reads a problem document.</summary>
    /// <param name="json">The response body.</param>
    /// <param name="status">The HTTP status of the response, used when the document has none.</param>
    /// <returns>The problem; a problem of type <c>about:blank</c> holding the text when the body is not a JSON object.</returns>
    public static AcmeProblem Parse(string json, HttpStatusCode? status = null)
    {
        try
        {
            using var document = JsonDocument.Parse(json);
            if (document.RootElement.ValueKind == JsonValueKind.Object)
            {
                return FromElement(document.RootElement, status is null ? null : (int)status);
            }
        }
        catch (JsonException)
        {
        }

        var text = json.Trim();
        return new AcmeProblem("about:blank", text.Length == 0 ? null : text.Length > 500 ? text[..500] + " …" : text)
        {
            Status = status is null ? null : (int)status,
        };
    }

    internal static AcmeProblem FromElement(JsonElement element, int? status = null)
    {
        string? Text(string name) => element.TryGetProperty(name, out var p) && p.ValueKind == JsonValueKind.String ? p.GetString() : null;
        var subproblems = new List<AcmeProblem>();
        if (element.TryGetProperty("subproblems", out var subs) && subs.ValueKind == JsonValueKind.Array)
        {
            foreach (var sub in subs.EnumerateArray())
            {
                if (sub.ValueKind == JsonValueKind.Object)
                {
                    subproblems.Add(FromElement(sub));
                }
            }
        }

        AcmeIdentifier? identifier = null;
        if (element.TryGetProperty("identifier", out var id) && id.ValueKind == JsonValueKind.Object
            && id.TryGetProperty("type", out var idType) && id.TryGetProperty("value", out var idValue)
            && idType.ValueKind == JsonValueKind.String && idValue.ValueKind == JsonValueKind.String)
        {
            identifier = new AcmeIdentifier(idType.GetString()!, idValue.GetString()!);
        }

        return new AcmeProblem(Text("type") ?? "about:blank", Text("detail"))
        {
            Status = element.TryGetProperty("status", out var s) && s.ValueKind == JsonValueKind.Number && s.TryGetInt32(out var n) ? n : status,
            Identifier = identifier,
            Subproblems = subproblems,
        };
    }

    /// <summary>One line: <c>detail (type)</c>, then the subproblems.</summary>
    /// <returns>The problem as text.</returns>
    public override string ToString()
    {
        var text = new StringBuilder();
        if (Identifier is not null)
        {
            text.Append(Identifier.Value).Append(": ");
        }

        text.Append(string.IsNullOrWhiteSpace(Detail) ? "(no detail)" : Detail.Trim()).Append(" (").Append(Type).Append(')');
        if (Subproblems.Count > 0)
        {
            text.Append("; ").AppendJoin("; ", Subproblems.Select(s => s.ToString()));
        }

        return text.ToString();
    }
}
