using System.Net;
using k8s;
using LocalTls.KubeApiDouble.Schemas;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace LocalTls.KubeApiDouble;

/// <summary>
/// The Kubernetes API double on a loopback port, over plain HTTP (kubectl and KubernetesClient both accept an
/// <c>http://</c> server in a kubeconfig). Its state outlives <see cref="GoDownAsync"/>/<see cref="ComeBackAsync"/>,
/// which stop and restart the listener on the same port, so clients see connection refused and then recovery.
/// </summary>
public sealed class KubeApiServer : IAsyncDisposable
{
    private readonly HttpApi http;
    private readonly IPEndPoint requested;
    private WebApplication? app;

    private KubeApiServer(KubeApi api, IPEndPoint endpoint, string referenceDirectory, TimeProvider time)
    {
        Api = api;
        Time = time;
        requested = endpoint;
        http = new HttpApi(api, Proxy, PodLogs, referenceDirectory);
    }

    public KubeApi Api { get; }

    /// <summary>The server's clock: creation and managedFields times, and every answer's <c>Date</c> header (a test may set it off this machine's).</summary>
    public TimeProvider Time { get; }

    public ObjectStore Store => Api.Store;

    public Faults Faults { get; } = new();

    public ServiceProxy Proxy { get; } = new();

    /// <summary>Pod logs a test writes, served at <c>pods/{name}/log</c>.</summary>
    public PodLogs PodLogs { get; } = new();

    /// <summary>
    /// The cluster DNS pods resolve through (their resolv.conf), when something serves one: the cert-manager stand-in's
    /// sslip.io responder. The kubelet stand-in gives it to step-ca as <c>--resolver</c>.
    /// </summary>
    public IPEndPoint? ClusterDns { get; set; }

    /// <summary>Every request answered, in order: what a benchmark or an idempotency test counts.</summary>
    public RequestLog Requests { get; } = new();

    /// <summary>The base URL, e.g. <c>http://127.0.0.1:41234</c>.</summary>
    public Uri Url { get; private set; } = new("http://127.0.0.1/");

    /// <summary>Starts a double with an empty store holding only the <c>default</c> Namespace (as a fresh cluster has).</summary>
    /// <param name="referenceDirectory">The shared/reference directory (see <see cref="ReferenceLocation"/>).</param>
    /// <param name="endpoint">Where to listen; must be a loopback address. Port 0 picks a free port.</param>
    public static async Task<KubeApiServer> StartAsync(string referenceDirectory, IPEndPoint? endpoint = null, TimeProvider? time = null)
    {
        endpoint ??= new IPEndPoint(IPAddress.Loopback, 0);
        if (!IPAddress.IsLoopback(endpoint.Address))
        {
            throw new ArgumentException($"The double listens on loopback only, not {endpoint.Address}.", nameof(endpoint));
        }

        time ??= TimeProvider.System;
        var api = new KubeApi(KubernetesSchemas.ForDirectory(referenceDirectory), new ObjectStore(), time);
        api.Create(ResourceType.BuiltIn[0], null, new System.Text.Json.Nodes.JsonObject
        {
            ["apiVersion"] = "v1",
            ["kind"] = "Namespace",
            ["metadata"] = new System.Text.Json.Nodes.JsonObject { ["name"] = "default" },
        }, new WriteOptions(FieldManager: "kube-apiserver"));
        var server = new KubeApiServer(api, endpoint, referenceDirectory, time);
        await server.ComeBackAsync();
        return server;
    }

    /// <summary>Stops listening: clients get connection refused, open watches end. The stored objects stay.</summary>
    public async Task GoDownAsync()
    {
        if (app is { } running)
        {
            app = null;
            Store.DropWatches();
            await running.StopAsync();
            await running.DisposeAsync();
        }
    }

    /// <summary>Listens again, on the same port as before.</summary>
    public async Task ComeBackAsync()
    {
        if (app is not null)
        {
            return;
        }

        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();

        // The double is started and stopped by its owner (a test, or Program on Ctrl+C), never by console signals.
        builder.Services.AddSingleton<IHostLifetime, OwnerLifetime>();
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(2));
        var port = Url.IsDefaultPort ? requested.Port : Url.Port;
        builder.WebHost.UseKestrel(k => k.Listen(requested.Address, port));
        var web = builder.Build();
        web.Run(async context =>
        {
            try
            {
                // As a real API server, the Date header is the server's own clock (Kestrel would write this machine's).
                context.Response.Headers.Date = Time.GetUtcNow().ToString("r", System.Globalization.CultureInfo.InvariantCulture);
                if (Authenticate(context) is { } refused)
                {
                    await HttpApi.WriteJsonAsync(context, refused.Code, refused.ToStatus());
                }
                else if (!await Faults.TryInjectAsync(context))
                {
                    await http.HandleAsync(context);
                }
            }
            finally
            {
                Requests.Record(context);
            }
        });
        await web.StartAsync();
        var address = web.Urls.First();
        Url = new Uri(address.Replace("[::1]", "127.0.0.1", StringComparison.Ordinal));
        app = web;
    }

    /// <summary>The kubeconfig's bearer token.</summary>
    public const string BearerToken = "kube-api-double";

    /// <summary>
    /// Authenticate as a real API server does: a wrong token is 401; none is the anonymous user, who may read only the
    /// public health and version paths (k3s's default RBAC), anything else 403. Off by default, because kubectl sends
    /// no token to a plain-http server (as the old insecure port, which had no authentication); tests of LocalTls's own
    /// client turn it on so a request sent without the kubeconfig's credentials fails.
    /// </summary>
    public bool RequireBearerToken { get; set; }

    private static readonly string[] PublicPaths = ["/version", "/healthz", "/livez", "/readyz"];

    private ApiError? Authenticate(HttpContext context)
    {
        if (!RequireBearerToken)
        {
            return null;
        }

        var header = context.Request.Headers.Authorization.ToString();
        if (header.Length > 0)
        {
            return header == $"Bearer {BearerToken}" ? null : new ApiError(401, "Unauthorized", "Unauthorized");
        }

        var path = context.Request.Path.Value ?? "/";
        return PublicPaths.Any(p => path == p || path.StartsWith(p + "/", StringComparison.Ordinal))
            ? null
            : new ApiError(403, "Forbidden", $"forbidden: User \"system:anonymous\" cannot {context.Request.Method.ToLowerInvariant()} path \"{path}\"");
    }

    /// <summary>A plain HttpClient for this server that authenticates as the kubeconfig does.</summary>
    public HttpClient CreateHttpClient()
    {
        var client = new HttpClient { BaseAddress = Url };
        client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", BearerToken);
        return client;
    }

    /// <summary>A kubeconfig (context <c>kube-api-double</c>) that points kubectl or KubernetesClient at this server.</summary>
    public string Kubeconfig() =>
        $$"""
        apiVersion: v1
        kind: Config
        clusters:
        - name: kube-api-double
          cluster:
            server: {{Url.GetLeftPart(UriPartial.Authority)}}
        users:
        - name: kube-api-double
          user:
            token: {{BearerToken}}
        contexts:
        - name: kube-api-double
          context:
            cluster: kube-api-double
            user: kube-api-double
            namespace: default
        current-context: kube-api-double
        preferences: {}

        """;

    /// <summary>Writes the kubeconfig whole (a temporary file renamed), so a reader waiting for it never sees half of it.</summary>
    public void WriteKubeconfig(string path)
    {
        var temporary = path + ".tmp";
        File.WriteAllText(temporary, Kubeconfig());
        File.Move(temporary, path, overwrite: true);
    }

    public IKubernetes CreateClient() =>
        new Kubernetes(new KubernetesClientConfiguration { Host = Url.GetLeftPart(UriPartial.Authority), AccessToken = BearerToken });

    /// <summary>
    /// Adds an IngressClass, as installing an ingress controller does (k3s ships Traefik's, marked default); the
    /// double runs no controller behind it.
    /// </summary>
    public void AddIngressClass(string name, string controller, bool isDefault)
    {
        var metadata = new System.Text.Json.Nodes.JsonObject { ["name"] = name };
        if (isDefault)
        {
            metadata["annotations"] = new System.Text.Json.Nodes.JsonObject { ["ingressclass.kubernetes.io/is-default-class"] = "true" };
        }

        Api.Create(ResourceType.BuiltIn.Single(t => t.Kind == "IngressClass"), null, new System.Text.Json.Nodes.JsonObject
        {
            ["apiVersion"] = "networking.k8s.io/v1",
            ["kind"] = "IngressClass",
            ["metadata"] = metadata,
            ["spec"] = new System.Text.Json.Nodes.JsonObject { ["controller"] = controller },
        }, new WriteOptions(FieldManager: "helm"));
    }

    /// <summary>k3s's Traefik IngressClass (<c>traefik</c>, controller <c>traefik.io/ingress-controller</c>, default).</summary>
    public void AddTraefikIngressClass() => AddIngressClass("traefik", "traefik.io/ingress-controller", isDefault: true);

    /// <summary>Drops every open watch (clients should resume from their last resourceVersion).</summary>
    public int DropWatches() => Store.DropWatches();

    /// <summary>Forgets the change history: a watch from an older resourceVersion then gets 410 Expired.</summary>
    public void CompactHistory() => Store.Compact();

    public async ValueTask DisposeAsync() => await GoDownAsync();

    private sealed class OwnerLifetime : IHostLifetime
    {
        public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
