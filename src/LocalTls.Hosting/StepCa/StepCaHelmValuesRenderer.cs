using System.Text;
using System.Text.Json.Nodes;
using Aspire.Hosting.ApplicationModel;
using LocalTls.Pki;

namespace LocalTls.StepCa;

/// <summary>
/// Renders values for smallstep's <c>step-certificates</c> Helm chart in <c>inject</c> mode, deploying the same CA
/// as <see cref="StepCaKubernetesRenderer"/> (the seed's alternative). The chart takes <c>ca.json</c> as an object,
/// not as a JSON string.
/// </summary>
internal static class StepCaHelmValuesRenderer
{
    /// <summary>The values; write them with <c>ManifestYaml</c>-style YAML or JSON and pass to <c>helm install -f</c>.</summary>
    public static JsonObject Render(StepCaResource ca, CaMaterial material, string? keyPassword = null)
    {
        ArgumentNullException.ThrowIfNull(ca);
        ArgumentNullException.ThrowIfNull(material);
        var files = StepCaKubernetesRenderer.FilesFor(ca, material, keyPassword);
        string File(string path) => files[path]?.Content ?? throw new InvalidOperationException($"step-ca file {path} was not rendered.");

        return new JsonObject
        {
            // The chart names its Service after the release; this keeps the seed's URL (step-ca.step-ca.svc.cluster.local).
            ["fullnameOverride"] = ca.ServiceName,
            ["image"] = new JsonObject { ["repository"] = ca.Image, ["tag"] = ca.ImageTag },
            ["inject"] = new JsonObject
            {
                ["enabled"] = true,
                ["config"] = new JsonObject
                {
                    ["files"] = new JsonObject
                    {
                        ["ca.json"] = JsonNode.Parse(File(StepCaLayout.CaConfigFile)),
                        ["defaults.json"] = JsonNode.Parse(File(StepCaLayout.DefaultsFile)),
                    },
                },
                ["certificates"] = new JsonObject
                {
                    ["root_ca"] = material.RootCertificatePem,
                    ["intermediate_ca"] = material.IntermediateCertificatePem,
                },
                ["secrets"] = new JsonObject
                {
                    // The chart wants the password base64-encoded and renders it into a Secret of its own
                    // ({fullname}-ca-password, apart from {fullname}-secrets with the key); the root key is never given to the cluster.
                    ["ca_password"] = keyPassword is null ? "" : Convert.ToBase64String(Encoding.UTF8.GetBytes(keyPassword)),
                    ["x509"] = new JsonObject
                    {
                        ["enabled"] = true,
                        ["intermediate_ca_key"] = File(StepCaLayout.IntermediateKeyFile),
                    },
                    ["ssh"] = new JsonObject { ["enabled"] = false },
                },
            },
            ["service"] = new JsonObject { ["type"] = "ClusterIP", ["port"] = ca.Port, ["targetPort"] = ca.Port },
            ["ca"] = new JsonObject
            {
                ["db"] = new JsonObject
                {
                    ["enabled"] = true,
                    ["persistent"] = true,
                    ["storageClass"] = ca.StorageClassName,
                    ["size"] = ca.PersistenceSize,
                },
            },
        };
    }
}
