using System.Text;
using System.Text.Json;

namespace LocalTls.Acme;

/// <summary>ACME's JWS: flattened JSON serialization, protected header only (RFC 8555 §6.2).</summary>
internal static class AcmeJws
{
    /// <summary>
    /// Signs a request body. <paramref name="keyId"/> null puts the key itself in the header (<c>jwk</c>, for
    /// newAccount); otherwise the account URL goes in <c>kid</c>. A null <paramref name="payload"/> is POST-as-GET
    /// (empty payload).
    /// </summary>
    public static byte[] Sign(AcmeAccountKey key, Uri url, string nonce, byte[]? payload, string? keyId)
    {
        var header = new StringBuilder();
        header.Append("{\"alg\":").Append(JsonSerializer.Serialize(key.Algorithm));
        if (keyId is null)
        {
            header.Append(",\"jwk\":").Append(key.JwkJson);
        }
        else
        {
            header.Append(",\"kid\":").Append(JsonSerializer.Serialize(keyId));
        }

        header.Append(",\"nonce\":").Append(JsonSerializer.Serialize(nonce));
        header.Append(",\"url\":").Append(JsonSerializer.Serialize(url.AbsoluteUri)).Append('}');
        var protectedHeader = Base64Url.Encode(Encoding.UTF8.GetBytes(header.ToString()));
        var encodedPayload = payload is null ? "" : Base64Url.Encode(payload);
        var signature = Base64Url.Encode(key.Sign(Encoding.ASCII.GetBytes(protectedHeader + "." + encodedPayload)));
        return Encoding.UTF8.GetBytes($"{{\"protected\":\"{protectedHeader}\",\"payload\":\"{encodedPayload}\",\"signature\":\"{signature}\"}}");
    }
}
