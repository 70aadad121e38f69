using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using LocalTls.KubeApiDouble.Schemas;
using Microsoft.AspNetCore.Http;

namespace LocalTls.KubeApiDouble;

/// <summary>The API server's HTTP surface over <see cref="KubeApi"/>: discovery, OpenAPI, resources, watch, service proxy.</summary>
internal sealed class HttpApi(KubeApi api, ServiceProxy proxy, PodLogs podLogs, string referenceDirectory)
{
    // Go's encoding/json escapes only what JSON needs (and <, >, &); quotes stay \", not \u0022.
    internal static JsonSerializerOptions WireJson => Compact;

    private static readonly JsonSerializerOptions Compact = new() { WriteIndented = false, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public async Task HandleAsync(HttpContext context)
    {
        try
        {
            await RouteAsync(context);
        }
        catch (ApiError error)
        {
            if (!context.Response.HasStarted)
            {
                await WriteJsonAsync(context, error.Code, error.ToStatus());
            }
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
        }
    }

    private async Task RouteAsync(HttpContext context)
    {
        var path = context.Request.Path.Value ?? "/";
        var method = context.Request.Method;
        var segments = path.Split('/', StringSplitOptions.RemoveEmptyEntries).Select(Uri.UnescapeDataString).ToArray();
        switch (segments)
        {
            case ["healthz" or "livez" or "readyz", ..]:
                context.Response.ContentType = "text/plain";
                await context.Response.WriteAsync("ok");
                return;
            case ["version"]:
                await WriteJsonAsync(context, 200, Discovery.Version());
                return;
            case ["api"]:
                await WriteJsonAsync(context, 200, Discovery.CoreVersions(context.Request.Host.Value ?? ""));
                return;
            case ["apis"]:
                await WriteJsonAsync(context, 200, Discovery.Groups(api.Types()));
                return;
            case ["apis", var group]:
                var groupInfo = Discovery.Groups(api.Types())["groups"]!.AsArray().FirstOrDefault(g => (string?)g!["name"] == group)
                    ?? throw new ApiError(404, "NotFound", "the server could not find the requested resource");
                var apiGroup = (JsonObject)groupInfo.DeepClone();
                apiGroup["kind"] = "APIGroup";
                apiGroup["apiVersion"] = "v1";
                await WriteJsonAsync(context, 200, apiGroup);
                return;
            case ["api", "v1"]:
                await WriteJsonAsync(context, 200, Discovery.Resources("", "v1", api.Types()));
                return;
            case ["apis", var group, var version]:
                await WriteJsonAsync(context, 200, Discovery.Resources(group, version, api.Types()));
                return;
            case ["openapi", "v2"]:
                // kubectl before 1.28 reads OpenAPI v2 (protobuf only) to learn whether the server validates fields.
                // An empty document (zero bytes is a valid empty protobuf message) says "no schemas": kubectl then
                // leaves validation to the server, which here is always strict. Simplified: no v2 content is served.
                context.Response.ContentType = "application/com.github.proto-openapi.spec.v2.v1.0+protobuf";
                context.Response.StatusCode = 200;
                return;
            case ["openapi", "v3"]:
                await WriteJsonAsync(context, 200, OpenApi.Index(api.Types()));
                return;
            case ["openapi", "v3", .. var rest]:
                context.Response.StatusCode = 200;
                context.Response.ContentType = "application/json";
                await context.Response.WriteAsync(OpenApi.Document(referenceDirectory, api, string.Join('/', rest)), context.RequestAborted);
                return;
            case ["api", "v1", "namespaces", var ns, "services", var service, "proxy", .. var rest] when !rest.Contains(".."):
                await proxy.ForwardAsync(context, ns, service, string.Join('/', rest));
                return;
            case ["api", "v1", "namespaces", var ns, "pods", var pod, "log"] when method == "GET":
                await PodLogAsync(context, ns, pod);
                return;
            case ["api", "v1", .. var rest]:
                await ResourceAsync(context, "", "v1", rest, method);
                return;
            case ["apis", var group, var version, .. var rest]:
                await ResourceAsync(context, group, version, rest, method);
                return;
            default:
                throw new ApiError(404, "NotFound", "the server could not find the requested resource");
        }
    }

    private async Task ResourceAsync(HttpContext context, string group, string version, string[] rest, string method)
    {
        var query = context.Request.Query;
        var watch = query["watch"] is var w && (w == "true" || w == "1");
        if (rest is ["watch", .. var watched])
        {
            watch = true;
            rest = watched;
        }

        // [namespaces/{ns}/]{resource}[/{name}[/{subresource}]]
        string? ns = null;
        if (rest is ["namespaces", var n, var resource, ..] && api.FindType(group, version, resource) is { Namespaced: true })
        {
            ns = n;
            rest = rest[2..];
        }

        if (rest.Length == 0)
        {
            throw new ApiError(404, "NotFound", "the server could not find the requested resource");
        }

        var type = api.FindType(group, version, rest[0])
            ?? throw new ApiError(404, "NotFound", "the server could not find the requested resource");
        if (type.Namespaced && ns is null && rest.Length > 1)
        {
            throw new ApiError(404, "NotFound", "the server could not find the requested resource");
        }

        var name = rest.Length > 1 ? rest[1] : null;
        var subresource = rest.Length > 2 ? rest[2] : null;
        var isStatus = subresource == "status" && type.HasStatus;
        var isScale = subresource == "scale" && type.HasScale;
        if (subresource is not null && (!(isStatus || isScale) || rest.Length > 3))
        {
            throw new ApiError(404, "NotFound", "the server could not find the requested resource");
        }

        var options = new WriteOptions(
            FieldManager: query["fieldManager"].FirstOrDefault(),
            Force: query["force"] == "true",
            DryRun: query["dryRun"] == "All",
            UserAgent: context.Request.Headers.UserAgent.FirstOrDefault(),
            FieldValidation: query["fieldValidation"].FirstOrDefault())
        {
            ForceGiven = query.ContainsKey("force"),
        };
        context.Response.OnStarting(() =>
        {
            foreach (var warning in options.Warnings)
            {
                context.Response.Headers.Append("Warning", $"299 - \"{warning.Replace("\"", "\\\"", StringComparison.Ordinal)}\"");
            }

            return Task.CompletedTask;
        });
        var filter = Selectors.Parse(query["labelSelector"], query["fieldSelector"]);
        if (method is "POST" or "PUT" && context.Request.ContentType is { } bodyType && !bodyType.StartsWith("application/json", StringComparison.Ordinal)
            && !bodyType.StartsWith("application/yaml", StringComparison.Ordinal))
        {
            // Protobuf and CBOR bodies are not decoded; 415 makes client-go fall back to JSON.
            throw new ApiError(415, "UnsupportedMediaType", $"the body of the request was in an unknown format - accepted media types include: application/json, application/yaml");
        }

        if (isScale)
        {
            await ScaleAsync(context, type, ns, name!, method, options);
            return;
        }

        switch (method, name)
        {
            case ("GET", null) when watch:
                await WatchAsync(context, type, ns, filter);
                return;
            case ("GET", null):
                await WriteJsonAsync(context, 200, api.List(type, ns, filter));
                return;
            case ("GET", _) when watch:
                await WatchAsync(context, type, ns, o => (string?)o["metadata"]?["name"] == name && filter(o));
                return;
            case ("GET", _):
                await WriteJsonAsync(context, 200, api.Get(type, ns, name));
                return;
            case ("POST", null):
                if (type.Namespaced && ns is null)
                {
                    throw new ApiError(404, "NotFound", "the server could not find the requested resource");
                }

                await WriteJsonAsync(context, 201, api.Create(type, ns, Bodies.ParseObject(await ReadBodyAsync(context)), options));
                return;
            case ("PUT", not null):
                await WriteJsonAsync(context, 200, api.Replace(type, ns, name, subresource, Bodies.ParseObject(await ReadBodyAsync(context)), options));
                return;
            case ("PATCH", not null):
                var contentType = context.Request.ContentType ?? "";
                var existed = api.Store.Get(type, ns, name) is not null;
                var patched = api.Patch(type, ns, name, subresource, contentType, await ReadBodyAsync(context), options);
                await WriteJsonAsync(context, existed ? 200 : 201, patched);
                return;
            case ("DELETE", not null):
                await WriteJsonAsync(context, 200, api.Delete(type, ns, name, options));
                return;
            case ("DELETE", null):
                foreach (var obj in api.List(type, ns, filter)["items"]!.AsArray())
                {
                    api.Delete(type, (string?)obj!["metadata"]!["namespace"], (string)obj["metadata"]!["name"]!, options);
                }

                await WriteJsonAsync(context, 200, new JsonObject { ["kind"] = "Status", ["apiVersion"] = "v1", ["metadata"] = new JsonObject(), ["status"] = "Success" });
                return;
            default:
                throw ApiError.MethodNotAllowed($"the server does not allow this method on the requested resource");
        }
    }

    /// <summary>A pod's log as text, one line each; with <c>follow=true</c> it streams until the log ends or the client leaves; <c>previous=true</c> reads the run before the last restart.</summary>
    private async Task PodLogAsync(HttpContext context, string ns, string pod)
    {
        var podType = ResourceType.BuiltIn.Single(t => t.Kind == "Pod");
        var obj = api.Get(podType, ns, pod);
        var query = context.Request.Query;
        var container = query["container"].FirstOrDefault();
        var containers = (obj["spec"]?["containers"] as JsonArray)?.Select(c => (string?)c?["name"]).ToList() ?? [];
        if (container is null && containers.Count > 1)
        {
            throw ApiError.BadRequest($"a container name must be specified for pod {pod}, choose one of: [{string.Join(" ", containers)}]");
        }

        if (container is not null && !containers.Contains(container))
        {
            throw ApiError.BadRequest($"container {container} is not valid for pod {pod}");
        }

        int? tail = int.TryParse(query["tailLines"], CultureInfo.InvariantCulture, out var lines) ? lines : null;
        var follow = query["follow"] == "true";
        var key = container == containers.FirstOrDefault() ? null : container;
        PodLogs.Log log;
        if (query["previous"] == "true")
        {
            log = podLogs.Previous(ns, pod, key)
                ?? throw ApiError.BadRequest($"previous terminated container \"{container ?? containers.FirstOrDefault()}\" in pod \"{pod}\" not found");
        }
        else
        {
            log = podLogs.For(ns, pod, key);
        }

        var (existing, channel) = log.Read(tail, follow);
        context.Response.StatusCode = 200;
        context.Response.ContentType = "text/plain";
        try
        {
            foreach (var line in existing)
            {
                await context.Response.WriteAsync(line + "\n", context.RequestAborted);
            }

            await context.Response.Body.FlushAsync(context.RequestAborted);
            if (channel is null)
            {
                return;
            }

            await foreach (var line in channel.Reader.ReadAllAsync(context.RequestAborted))
            {
                await context.Response.WriteAsync(line + "\n", context.RequestAborted);
                await context.Response.Body.FlushAsync(context.RequestAborted);
            }
        }
        catch (OperationCanceledException)
        {
        }
        finally
        {
            if (channel is not null)
            {
                log.Unfollow(channel);
            }
        }
    }

    /// <summary>
    /// The <c>scale</c> subresource (autoscaling/v1 Scale), as <c>kubectl scale</c> uses it: reads and writes only
    /// <c>spec.replicas</c> of the workload.
    /// </summary>
    private async Task ScaleAsync(HttpContext context, ResourceType type, string? ns, string name, string method, WriteOptions options)
    {
        var current = Scale(api.Get(type, ns, name));
        JsonObject wanted;
        switch (method)
        {
            case "GET":
                await WriteJsonAsync(context, 200, current);
                return;
            case "PUT":
                wanted = Bodies.ParseObject(await ReadBodyAsync(context));
                break;
            case "PATCH":
                var body = Bodies.ParseJson(await ReadBodyAsync(context));
                wanted = (context.Request.ContentType ?? "").StartsWith("application/json-patch+json", StringComparison.Ordinal)
                    ? Patches.JsonPatch(current, body) as JsonObject ?? current
                    : Patches.MergePatch(current, body) as JsonObject ?? current;
                break;
            default:
                throw ApiError.MethodNotAllowed("the server does not allow this method on the requested resource");
        }

        var replicas = wanted["spec"]?["replicas"]?.DeepClone() ?? 0;
        var patch = new JsonObject { ["spec"] = new JsonObject { ["replicas"] = replicas } };
        if ((string?)wanted["metadata"]?["resourceVersion"] is { Length: > 0 } rv)
        {
            patch["metadata"] = new JsonObject { ["resourceVersion"] = rv };
        }

        var updated = api.Patch(type, ns, name, null, "application/merge-patch+json", patch.ToJsonString(), options);
        await WriteJsonAsync(context, 200, Scale(updated));
    }

    private static JsonObject Scale(JsonObject workload)
    {
        var meta = workload["metadata"]!;
        var selector = workload["spec"]?["selector"]?["matchLabels"] as JsonObject;
        return new JsonObject
        {
            ["kind"] = "Scale",
            ["apiVersion"] = "autoscaling/v1",
            ["metadata"] = new JsonObject
            {
                ["name"] = meta["name"]?.DeepClone(),
                ["namespace"] = meta["namespace"]?.DeepClone(),
                ["uid"] = meta["uid"]?.DeepClone(),
                ["resourceVersion"] = meta["resourceVersion"]?.DeepClone(),
                ["creationTimestamp"] = meta["creationTimestamp"]?.DeepClone(),
            },
            ["spec"] = new JsonObject { ["replicas"] = workload["spec"]?["replicas"]?.DeepClone() ?? 1 },
            ["status"] = new JsonObject
            {
                ["replicas"] = workload["status"]?["replicas"]?.DeepClone() ?? 0,
                ["selector"] = selector is null ? "" : string.Join(",", selector.Select(l => $"{l.Key}={(string?)l.Value}")),
            },
        };
    }

    private async Task WatchAsync(HttpContext context, ResourceType type, string? ns, Func<JsonObject, bool> filter)
    {
        var query = context.Request.Query;
        long? from = long.TryParse(query["resourceVersion"], CultureInfo.InvariantCulture, out var rv) ? rv : null;
        var bookmarks = query["allowWatchBookmarks"] == "true";
        var timeout = int.TryParse(query["timeoutSeconds"], CultureInfo.InvariantCulture, out var seconds) && seconds > 0
            ? TimeSpan.FromSeconds(seconds)
            : TimeSpan.FromMinutes(30);

        context.Response.StatusCode = 200;
        context.Response.ContentType = "application/json";
        ObjectStore.Watcher watcher;
        try
        {
            watcher = api.Store.Watch(type, ns, from, filter);
        }
        catch (ApiError expired) when (expired.Code == 410)
        {
            // The real server answers 200 and then a single ERROR event holding the 410 Status.
            await WriteEventAsync(context, "ERROR", expired.ToStatus().ToJsonString(Compact));
            return;
        }

        using var timer = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted);
        timer.CancelAfter(timeout);
        try
        {
            await context.Response.Body.FlushAsync(timer.Token);
            var reader = watcher.Channel.Reader;
            var bookmarkEvery = TimeSpan.FromSeconds(1);
            var lastSent = 0L;
            while (true)
            {
                using var wait = CancellationTokenSource.CreateLinkedTokenSource(timer.Token);
                if (bookmarks)
                {
                    wait.CancelAfter(bookmarkEvery);
                }

                bool more;
                try
                {
                    more = await reader.WaitToReadAsync(wait.Token);
                }
                catch (OperationCanceledException) when (!timer.IsCancellationRequested)
                {
                    // Every change up to this resourceVersion is already in the channel (both happen under the store's
                    // lock), so send those first: a bookmark must never claim a change the client has not seen.
                    var snapshot = api.Store.ResourceVersion;
                    while (reader.TryRead(out var pending))
                    {
                        await WriteEventAsync(context, pending.Type, pending.ObjectJson);
                        lastSent = Math.Max(lastSent, pending.ResourceVersion);
                    }

                    await WriteEventAsync(context, "BOOKMARK", Bookmark(type, Math.Max(snapshot, lastSent)).ToJsonString(Compact));
                    continue;
                }

                if (!more)
                {
                    return;
                }

                while (reader.TryRead(out var change))
                {
                    await WriteEventAsync(context, change.Type, change.ObjectJson);
                    lastSent = Math.Max(lastSent, change.ResourceVersion);
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
        finally
        {
            api.Store.StopWatch(watcher);
        }
    }

    private static JsonObject Bookmark(ResourceType type, long resourceVersion) => new()
    {
        ["kind"] = type.Kind,
        ["apiVersion"] = type.ApiVersion,
        ["metadata"] = new JsonObject { ["resourceVersion"] = resourceVersion.ToString(CultureInfo.InvariantCulture) },
    };

    private static async Task WriteEventAsync(HttpContext context, string type, string objectJson)
    {
        var line = $"{{\"type\":\"{type}\",\"object\":{objectJson}}}\n";
        await context.Response.WriteAsync(line, context.RequestAborted);
        await context.Response.Body.FlushAsync(context.RequestAborted);
    }

    private static async Task<string> ReadBodyAsync(HttpContext context)
    {
        using var reader = new StreamReader(context.Request.Body, Encoding.UTF8);
        return await reader.ReadToEndAsync(context.RequestAborted);
    }

    public static async Task WriteJsonAsync(HttpContext context, int code, JsonNode body)
    {
        context.Response.StatusCode = code;
        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync(body.ToJsonString(Compact), context.RequestAborted);
    }
}
