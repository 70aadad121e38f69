using System.Text.Json.Nodes;
using k8s;
using k8s.Models;
using LocalTls.CertManager;
using LocalTls.Cluster;
using YamlDotNet.RepresentationModel;

namespace LocalTls.Tests.Cluster;

public class ManifestYamlTests
{
    // Read YAML back with a YAML 1.1-style reader (as kubectl and Helm do) and compare with the wire JSON.
    private static JsonNode? ReadBack(YamlNode node) => node switch
    {
        YamlMappingNode m => new JsonObject(m.Children.Select(c => KeyValuePair.Create(((YamlScalarNode)c.Key).Value!, ReadBack(c.Value)))),
        YamlSequenceNode s => new JsonArray([.. s.Children.Select(ReadBack)]),
        YamlScalarNode { Style: YamlDotNet.Core.ScalarStyle.Plain } p when p.Value is "true" or "false" => JsonValue.Create(p.Value == "true"),
        YamlScalarNode { Style: YamlDotNet.Core.ScalarStyle.Plain } p when long.TryParse(p.Value, out var n) => JsonValue.Create(n),
        YamlScalarNode { Style: YamlDotNet.Core.ScalarStyle.Plain } p when p.Value is "null" => null,
        YamlScalarNode p => JsonValue.Create(p.Value),
        _ => throw new InvalidOperationException(node.GetType().Name),
    };

    private static List<JsonNode?> Parse(string yaml)
    {
        var stream = new YamlStream();
        stream.Load(new StringReader(yaml));
        return [.. stream.Documents.Select(d => ReadBack(d.RootNode))];
    }

    [Fact]
    public void Objects_round_trip_through_yaml_in_their_wire_form()
    {
        IKubernetesObject[] objects =
        [
            new V1Namespace { ApiVersion = "v1", Kind = "Namespace", Metadata = new V1ObjectMeta { Name = "step-ca" } },
            new V1ConfigMap
            {
                ApiVersion = "v1", Kind = "ConfigMap",
                Metadata = new V1ObjectMeta { Name = "cfg", NamespaceProperty = "step-ca", Annotations = new Dictionary<string, string> { ["a"] = "true", ["b"] = "9000", ["c"] = "- x", ["d"] = "a: b" } },
                Data = new Dictionary<string, string> { ["ca.json"] = "{\n  \"address\": \":9000\"\n}\n", ["empty"] = "", ["yes"] = "yes", ["port"] = "0x1F", ["t"] = "12:30" },
            },
            new Certificate
            {
                Metadata = new V1ObjectMeta { Name = "test-tls", NamespaceProperty = "default" },
                Spec = new CertificateSpec { SecretName = "test-tls-secret", DnsNames = ["test.192.168.5.2.sslip.io"], IssuerRef = new IssuerReference { Name = "step-ca-acme", Kind = "ClusterIssuer" } },
            },
        ];
        var yaml = ManifestYaml.Write(objects);
        var back = Parse(yaml);
        Assert.Equal(objects.Length, back.Count);
        for (var i = 0; i < objects.Length; i++)
        {
            Assert.True(JsonNode.DeepEquals(ManifestYaml.ToJson(objects[i]), back[i]), $"document {i} differs:\n{yaml}");
        }

        Assert.Contains("ca.json: |", yaml);
        Assert.Contains("b: \"9000\"", yaml);
        Assert.StartsWith("---\napiVersion: v1\nkind: Namespace\n", yaml);
        Assert.Equal(yaml, ManifestYaml.Write(objects));
    }

    [Fact]
    public void Random_strings_survive_the_round_trip()
    {
        var random = new Random(1123);
        const string alphabet = "abcXYZ019 :#-_.,{}[]&*!|>'\"%@`?~\n\t/\\";
        var data = new Dictionary<string, string>();
        for (var i = 0; i < 400; i++)
        {
            var chars = Enumerable.Range(0, random.Next(0, 12)).Select(_ => alphabet[random.Next(alphabet.Length)]);
            data[$"k{i}"] = new string([.. chars]);
        }

        foreach (var word in new[] { "true", "False", "null", "~", "1e3", "0o17", ".inf", "on", "y", "1_000", "-1", "+1", "1.5" })
        {
            data[$"w{word}"] = word;
        }

        var map = new V1ConfigMap { ApiVersion = "v1", Kind = "ConfigMap", Metadata = new V1ObjectMeta { Name = "x" }, Data = data };
        var back = Parse(ManifestYaml.Write([map]));
        Assert.True(JsonNode.DeepEquals(ManifestYaml.ToJson(map), back[0]));
    }
}
