using System.Net;
using System.Net.Sockets;
using System.Text;
using LocalTls.Tests.TestSupport.Schemas;

namespace LocalTls.Tests.Cluster;

/// <summary>
/// A stand-in for cert-manager's releases page on a loopback port: <c>/v{version}/cert-manager.yaml</c> is a manifest
/// shaped like the upstream static one (Namespace, CRDs, ServiceAccounts, RBAC, Services, Deployments, webhook
/// configurations), assembled from the reference CRDs (v1.21.1) and objects written here; nothing upstream is copied.
/// </summary>
internal sealed class CertManagerRelease : IAsyncDisposable
{
    private readonly HttpListener listener = new();
    private readonly Task serving;
    private int requests;

    private CertManagerRelease(string version, string manifest)
    {
        var port = FreePort();
        BaseUri = new Uri($"http://127.0.0.1:{port}/");
        listener.Prefixes.Add(BaseUri.ToString());
        listener.Start();
        serving = Task.Run(async () =>
        {
            while (listener.IsListening)
            {
                HttpListenerContext context;
                try
                {
                    context = await listener.GetContextAsync();
                }
                catch (Exception ex) when (ex is HttpListenerException or ObjectDisposedException or InvalidOperationException)
                {
                    return;
                }

                Interlocked.Increment(ref requests);
                var found = context.Request.Url?.AbsolutePath == $"/v{version}/cert-manager.yaml";
                context.Response.StatusCode = found ? 200 : 404;
                var body = Encoding.UTF8.GetBytes(found ? manifest : "Not Found");
                await context.Response.OutputStream.WriteAsync(body);
                context.Response.Close();
            }
        });
    }

    public Uri BaseUri { get; }

    public int Requests => Volatile.Read(ref requests);

    public static CertManagerRelease Serve(string version, string? manifest = null) => new(version, manifest ?? Manifest());

    public static int FreePort()
    {
        using var socket = new TcpListener(IPAddress.Loopback, 0);
        socket.Start();
        return ((IPEndPoint)socket.LocalEndpoint).Port;
    }

    public async ValueTask DisposeAsync()
    {
        listener.Stop();
        listener.Close();
        await serving;
    }

    /// <summary>The names of what the manifest holds besides CRDs, to look them up after an install.</summary>
    public static readonly string[] Deployments = ["cert-manager", "cert-manager-cainjector", "cert-manager-webhook"];

    public static string Manifest()
    {
        var text = new StringBuilder();
        text.Append("# A cert-manager release manifest for tests: the v1.21.1 CRDs and objects shaped like upstream's.\n");
        text.Append(Object("v1", "Namespace", "cert-manager", null, ""));
        foreach (var crd in Directory.GetFiles(ReferenceFiles.PathTo("cert-manager", "crds"), "*.yaml").Order(StringComparer.Ordinal))
        {
            text.Append(File.ReadAllText(crd).TrimEnd()).Append('\n');
        }

        foreach (var name in Deployments)
        {
            text.Append(Object("v1", "ServiceAccount", name, "cert-manager", "automountServiceAccountToken: true\n"));
        }

        text.Append(Object("rbac.authorization.k8s.io/v1", "ClusterRole", "cert-manager-controller-certificates", null, """
            rules:
              - apiGroups: ["cert-manager.io"]
                resources: ["certificates", "certificates/status", "certificaterequests", "certificaterequests/status"]
                verbs: ["update", "patch"]
              - apiGroups: [""]
                resources: ["secrets"]
                verbs: ["get", "list", "watch", "create", "update", "delete", "patch"]

            """));
        text.Append(Object("rbac.authorization.k8s.io/v1", "ClusterRoleBinding", "cert-manager-controller-certificates", null, """
            roleRef:
              apiGroup: rbac.authorization.k8s.io
              kind: ClusterRole
              name: cert-manager-controller-certificates
            subjects:
              - kind: ServiceAccount
                name: cert-manager
                namespace: cert-manager

            """));
        text.Append(Object("rbac.authorization.k8s.io/v1", "Role", "cert-manager:leaderelection", "kube-system", """
            rules:
              - apiGroups: ["coordination.k8s.io"]
                resources: ["leases"]
                verbs: ["get", "create", "update", "patch"]

            """));
        text.Append(Object("rbac.authorization.k8s.io/v1", "RoleBinding", "cert-manager:leaderelection", "kube-system", """
            roleRef:
              apiGroup: rbac.authorization.k8s.io
              kind: Role
              name: cert-manager:leaderelection
            subjects:
              - kind: ServiceAccount
                name: cert-manager
                namespace: cert-manager

            """));
        text.Append(Object("v1", "Service", "cert-manager", "cert-manager", """
            spec:
              type: ClusterIP
              ports:
                - protocol: TCP
                  port: 9402
                  name: tcp-prometheus-servicemonitor
                  targetPort: http-metrics
              selector:
                app.kubernetes.io/name: cert-manager

            """));
        text.Append(Object("v1", "Service", "cert-manager-webhook", "cert-manager", """
            spec:
              type: ClusterIP
              ports:
                - name: https
                  port: 443
                  protocol: TCP
                  targetPort: https
              selector:
                app.kubernetes.io/name: webhook

            """));
        foreach (var name in Deployments)
        {
            var app = name == "cert-manager" ? "cert-manager" : name["cert-manager-".Length..];
            text.Append(Object("apps/v1", "Deployment", name, "cert-manager", $"""
                spec:
                  replicas: 1
                  selector:
                    matchLabels:
                      app.kubernetes.io/name: {app}
                  template:
                    metadata:
                      labels:
                        app.kubernetes.io/name: {app}
                    spec:
                      serviceAccountName: {name}
                      securityContext:
                        runAsNonRoot: true
                      containers:
                        - name: {name}
                          image: "quay.io/jetstack/{(name == "cert-manager" ? "cert-manager-controller" : name)}:v1.21.1"
                          imagePullPolicy: IfNotPresent
                          args:
                            - --v=2
                            - --leader-election-namespace=kube-system
                          ports:
                            - containerPort: 9402
                              name: http-metrics
                              protocol: TCP
                          securityContext:
                            allowPrivilegeEscalation: false
                            readOnlyRootFilesystem: true

                """));
        }

        foreach (var (kind, path) in new[] { ("MutatingWebhookConfiguration", "/mutate"), ("ValidatingWebhookConfiguration", "/validate") })
        {
            text.Append(Object("admissionregistration.k8s.io/v1", kind, "cert-manager-webhook", null, $"""
                webhooks:
                  - name: webhook.cert-manager.io
                    rules:
                      - apiGroups: ["cert-manager.io", "acme.cert-manager.io"]
                        apiVersions: ["v1"]
                        operations: ["CREATE", "UPDATE"]
                        resources: ["*/*"]
                    admissionReviewVersions: ["v1"]
                    timeoutSeconds: 30
                    failurePolicy: Fail
                    sideEffects: None
                    clientConfig:
                      service:
                        name: cert-manager-webhook
                        namespace: cert-manager
                        path: {path}

                """, annotation: "cert-manager.io/inject-ca-from-secret: \"cert-manager/cert-manager-webhook-ca\""));
        }

        return text.ToString();
    }

    /// <summary>One document: apiVersion, kind, metadata (with upstream's labels), then <paramref name="rest"/>.</summary>
    private static string Object(string apiVersion, string kind, string name, string? ns, string rest, string? annotation = null) =>
        $"---\napiVersion: {apiVersion}\nkind: {kind}\nmetadata:\n  name: \"{name}\"\n"
        + (ns is null ? "" : $"  namespace: {ns}\n")
        + "  labels:\n    app.kubernetes.io/instance: cert-manager\n    app.kubernetes.io/version: \"v1.21.1\"\n"
        + (annotation is null ? "" : $"  annotations:\n    {annotation}\n")
        + rest;
}
