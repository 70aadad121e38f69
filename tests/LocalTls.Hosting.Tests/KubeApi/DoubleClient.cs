using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using LocalTls.KubeApiDouble;
using LocalTls.Tests.TestSupport.Schemas;

namespace LocalTls.Tests.KubeApi;

/// <summary>Starts the Kubernetes API double for a test, and speaks raw HTTP to it where a test reads Status bodies.</summary>
internal static class DoubleClient
{
    /// <summary>A double with its own empty store; skipped (failed under CI) without the reference schemas.</summary>
    public static Task<KubeApiServer> StartAsync() => KubeApiServer.StartAsync(ReferenceFiles.Require());

    public static async Task<(HttpStatusCode Code, JsonObject Body)> SendAsync(
        this KubeApiServer server, string method, string path, object? body = null, string contentType = "application/json")
    {
        using var http = server.CreateHttpClient();
        using var request = new HttpRequestMessage(new HttpMethod(method), path);
        if (body is not null)
        {
            var text = body as string ?? ((JsonNode)body).ToJsonString();
            request.Content = new StringContent(text, Encoding.UTF8);
            request.Content.Headers.ContentType = System.Net.Http.Headers.MediaTypeHeaderValue.Parse(contentType);
        }

        using var response = await http.SendAsync(request, TestContext.Current.CancellationToken);
        var content = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        return (response.StatusCode, JsonNode.Parse(content) as JsonObject ?? throw new InvalidOperationException($"not a JSON object: {content}"));
    }

    public static JsonObject ConfigMap(string name, string ns = "default", Dictionary<string, string>? data = null, Dictionary<string, string>? labels = null)
    {
        var obj = new JsonObject
        {
            ["apiVersion"] = "v1",
            ["kind"] = "ConfigMap",
            ["metadata"] = new JsonObject { ["name"] = name, ["namespace"] = ns },
        };
        if (labels is not null)
        {
            obj["metadata"]!["labels"] = ToJson(labels);
        }

        if (data is not null)
        {
            obj["data"] = ToJson(data);
        }

        return obj;
    }

    public static JsonObject Deployment(string name, string image = "nginx:1.27", int replicas = 1, string ns = "default") => new()
    {
        ["apiVersion"] = "apps/v1",
        ["kind"] = "Deployment",
        ["metadata"] = new JsonObject { ["name"] = name, ["namespace"] = ns },
        ["spec"] = new JsonObject
        {
            ["replicas"] = replicas,
            ["selector"] = new JsonObject { ["matchLabels"] = new JsonObject { ["app"] = name } },
            ["template"] = new JsonObject
            {
                ["metadata"] = new JsonObject { ["labels"] = new JsonObject { ["app"] = name } },
                ["spec"] = new JsonObject
                {
                    ["containers"] = new JsonArray(new JsonObject { ["name"] = "app", ["image"] = image }),
                },
            },
        },
    };

    private static JsonObject ToJson(Dictionary<string, string> values)
    {
        var obj = new JsonObject();
        foreach (var (key, value) in values)
        {
            obj[key] = value;
        }

        return obj;
    }

    public static string Rv(JsonNode obj) => (string)obj["metadata"]!["resourceVersion"]!;

    public static long Generation(JsonNode obj) => (long)obj["metadata"]!["generation"]!;
}
