using System.Text;
using System.Text.Json.Nodes;

namespace LocalTls.KubeApiDouble.CertManager;

/// <summary>
/// cert-manager's webhook as admission hooks: the mutating one fills a new CertificateRequest's user fields, the
/// validating one refuses a CertificateRequest whose <c>spec.request</c> is not a CSR, with cert-manager's wording.
/// While not <see cref="Ready"/>, every call fails as the API server reports an unreachable webhook.
/// </summary>
/// <remarks>
/// Simplified: the double has no authentication, so the user is always the kubeconfig's (<see cref="Username"/>,
/// groups <c>system:masters</c> and <c>system:authenticated</c>); only CertificateRequests are validated.
/// </remarks>
public sealed class CertManagerWebhook
{
    public const string Name = "webhook.cert-manager.io";

    public const string Username = "kube-api-double";

    /// <summary>
    /// The webhook Service's ClusterIP with no pod behind it refuses the connection; this is what the API server then
    /// answers (500), and what cert-manager's own API checker translates to "the webhook deployment is not ready yet".
    /// </summary>
    public static string NotReadyMessage(string path) =>
        $"Internal error occurred: failed calling webhook \"{Name}\": failed to call webhook: " +
        $"Post \"https://cert-manager-webhook.cert-manager.svc:443/{path}?timeout=30s\": dial tcp 10.43.0.20:443: connect: connection refused";

    /// <summary>Whether the webhook answers; false stands for a webhook Deployment that is not ready.</summary>
    public bool Ready { get; set; } = true;

    internal void Register(Admission admission)
    {
        // cert-manager's MutatingWebhookConfiguration matches certificaterequests; its ValidatingWebhookConfiguration
        // matches every resource of cert-manager.io and acme.cert-manager.io.
        admission.AddMutatingWebhook(Name, t => t.Group == "cert-manager.io" && t.Plural == "certificaterequests", Mutate);
        admission.AddValidatingWebhook(Name, t => t.Group is "cert-manager.io" or "acme.cert-manager.io", Validate);
    }

    private void Mutate(JsonObject candidate, JsonObject? old)
    {
        if (!Ready)
        {
            throw new ApiError(500, "InternalError", NotReadyMessage("mutate"));
        }

        if (old is null && candidate["spec"] is JsonObject spec)
        {
            spec["username"] = Username;
            spec["uid"] = "";
            spec["groups"] = new JsonArray("system:masters", "system:authenticated");
        }
    }

    private string? Validate(JsonObject candidate, JsonObject? old)
    {
        if (!Ready)
        {
            throw new ApiError(500, "InternalError", NotReadyMessage("validate"));
        }

        if ((string?)candidate["kind"] != "CertificateRequest")
        {
            return null;
        }

        var request = (string?)candidate["spec"]?["request"] ?? "";
        byte[] bytes;
        try
        {
            bytes = Convert.FromBase64String(request);
        }
        catch (FormatException)
        {
            bytes = [];
        }

        var pem = Encoding.ASCII.GetString(bytes);
        var begin = pem.IndexOf("-----BEGIN CERTIFICATE REQUEST-----", StringComparison.Ordinal);
        if (begin >= 0)
        {
            try
            {
                System.Security.Cryptography.X509Certificates.CertificateRequest.LoadSigningRequestPem(
                    pem[begin..], System.Security.Cryptography.HashAlgorithmName.SHA256,
                    System.Security.Cryptography.X509Certificates.CertificateRequestLoadOptions.UnsafeLoadCertificateExtensions);
                return null;
            }
            catch (System.Security.Cryptography.CryptographicException)
            {
            }
        }

        // As cert-manager's validation words it (a Go field.Invalid on a []byte value).
        return $"spec.request: Invalid value: {GoBytes(bytes)}: failed to decode csr: error decoding certificate request PEM block";
    }

    private static string GoBytes(byte[] bytes) =>
        bytes.Length == 0 ? "[]byte{}" : "[]byte{" + string.Join(", ", bytes.Select(b => $"0x{b:x}")) + "}";
}
