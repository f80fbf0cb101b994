using System.Collections.Generic;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.FlowAnalysis;
using Microsoft.CodeAnalysis.Operations;
using WasmViewAnalyzers.Engine.Knowledge;

namespace WasmViewAnalyzers.Engine.Flow;

internal sealed partial class ViewFlowAnalysis
{
    /// <summary>
    /// Evaluates the operations of one block in order, over the abstract values of
    /// <see cref="FlowState"/>.
    /// </summary>
    /// <remarks>
    /// The rules, applied to every operation whose operands include a view:
    /// <list type="bullet">
    /// <item>Deriving keeps the view: a result that can hold one (a slice, a cast, a pointer, a
    /// stream or manager over it, a container of views, a ref to an element) is a view with the same
    /// origin and staleness. Deriving is not a use; using the derived value later is.</item>
    /// <item>Reading is a use: an element read by value, a write through the view, the view passed to
    /// a method that does not return a view, returned from the method. A use of a possibly stale
    /// view is reported at the variable it was read through.</item>
    /// <item>Operands are used when the consuming operation runs, after its later operands: in
    /// <c>Consume(view, convert(1))</c> the view is consumed after the guest call.</item>
    /// </list>
    /// </remarks>
    private sealed partial class Evaluator
    {
        private readonly ViewFlowAnalysis _analysis;
        private readonly FlowState _state;
        private readonly ViewFactSink _facts;
        private readonly List<GuestCall> _calls = new();

        public Evaluator(ViewFlowAnalysis analysis, FlowState state, ViewFactSink facts)
        {
            _analysis = analysis;
            _state = state;
            _facts = facts;
        }

        private ViewTypeClassifier Types => _analysis._semantics.Types;

        private WasmViewSemantics Semantics => _analysis._semantics;

        public void EvaluateStatement(IOperation operation) => Evaluate(operation);

        /// <summary>A view leaving the method through <c>return</c> is read by the caller.</summary>
        public void EscapesByReturn(IOperation returned, ViewValue? value)
        {
            EscapeDelegateByReturn(returned);
            if (value is null)
            {
                return;
            }

            _facts.ViewReturned();
            Use(new Operand(returned, value, _calls.Count));
        }

        public ViewValue? Evaluate(IOperation operation)
        {
            _analysis._cancellationToken.ThrowIfCancellationRequested();
            switch (OperationRoles.Of(operation.Kind))
            {
                case OperationRole.Irrelevant:
                    return null;
#if DEBUG
                case OperationRole.LoweredByGraph:
                    // Our own builds (the tests) stop here: the table is wrong about this kind.
                    throw new System.InvalidOperationException(operation.Kind + " was expected to be lowered by the control-flow graph.");
#endif
            }

            switch (operation)
            {
                case ILocalReferenceOperation local:
                    return local.IsDeclaration ? null : _state.Get(local.Local)?.WithReference(local);

                case IParameterReferenceOperation parameter:
                    return _state.Get(parameter.Parameter)?.WithReference(parameter);

                case IFlowCaptureReferenceOperation capture:
                    return _state.Get(capture.Id);

                case IFlowCaptureOperation capture:
                    _state.Set(capture.Id, Evaluate(capture.Value));
                    return null;

                case IFieldReferenceOperation field:
                    return EvaluateField(field);

                case ISimpleAssignmentOperation assignment:
                    return EvaluateAssignment(assignment);

                case ICompoundAssignmentOperation compound:
                    return EvaluateReadModifyWrite(compound.Target, compound.Value);

                case IIncrementOrDecrementOperation increment:
                    return EvaluateReadModifyWrite(increment.Target, value: null);

                case IDeconstructionAssignmentOperation deconstruction:
                    return EvaluateDeconstruction(deconstruction);

                case IInvocationOperation invocation:
                    return EvaluateInvocation(invocation);

                case IEventAssignmentOperation eventAssignment:
                    return EvaluateEventAssignment(eventAssignment);

                case IObjectCreationOperation creation:
                    return EvaluateCreation(creation);

                case IPropertyReferenceOperation property:
                    return EvaluateProperty(property);

                case IConversionOperation conversion:
                    return EvaluateConversion(conversion);

                case IAddressOfOperation addressOf:
                    return Evaluate(addressOf.Reference);

                case IArrayElementReferenceOperation element:
                    var array = Evaluate(element.ArrayReference);
                    foreach (var index in element.Indices)
                    {
                        Consume(Capture(index));
                    }

                    return array;

                case IIsPatternOperation isPattern:
                    // view[0] is > 0x80 reads the element; the view itself is read only by the pattern.
                    var matched = Capture(isPattern.Value);
                    Consume(matched);
                    Match(matched, isPattern.Pattern);
                    return null;

                case IReturnOperation { Kind: OperationKind.YieldReturn } yield:
                    // The consumer runs between two items, and may call the guest: every view held
                    // across the yield is stale after it.
                    if (yield.ReturnedValue is not null)
                    {
                        Consume(Capture(yield.ReturnedValue));
                    }

                    ApplyGuestCall(_analysis.GetSuspension(yield));
                    return null;

                case IReturnOperation @return:
                    var returned = @return.ReturnedValue is null ? null : Evaluate(@return.ReturnedValue);
                    if (@return.ReturnedValue is not null)
                    {
                        EscapesByReturn(@return.ReturnedValue, returned);
                    }

                    return null;

                case IAwaitOperation await:
                    // Other code, guest calls through the same store included, may run while the
                    // method is suspended.
                    Consume(Capture(await.Operation));
                    ApplyGuestCall(_analysis.GetSuspension(await));
                    return null;

                default:
                    if (operation.Kind == OperationRoles.Spread)
                    {
                        // [.. views]: the elements of the spread collection land in the new one.
                        ViewValue? spread = null;
                        foreach (var child in operation.ChildOperations)
                        {
                            spread = ViewValue.Join(spread, Evaluate(child));
                        }

                        return spread;
                    }

                    if (operation.Kind == OperationKind.ImplicitIndexerReference)
                    {
                        return EvaluateImplicitIndexer(operation);
                    }

                    if (operation.Kind == OperationKind.None && operation.Syntax is ElementAccessExpressionSyntax or PrefixUnaryExpressionSyntax)
                    {
                        // *p and p[i] over a pointer: a reference to guest memory; whoever consumes
                        // it decides whether it is read.
                        ViewValue? pointer = null;
                        foreach (var child in operation.ChildOperations)
                        {
                            pointer ??= Evaluate(child);
                        }

                        return pointer;
                    }

                    return EvaluateGeneric(operation);
            }
        }

        // -------------------------------------------------------------- storage locations

        private static object? TrackedEntity(IOperation target) => target switch
        {
            ILocalReferenceOperation local => local.Local,
            IParameterReferenceOperation parameter => parameter.Parameter,
            IFlowCaptureReferenceOperation capture => capture.Id,
            IFieldReferenceOperation { Instance: null or IInstanceReferenceOperation } field => field.Field,
            IDeclarationExpressionOperation declaration => TrackedEntity(declaration.Expression),
            _ => null,
        };

        /// <summary>
        /// <c>r = value</c> where <c>r</c> is a ref local (or the graph's capture of one, when the
        /// value has side effects): a write into the location it refers to.
        /// </summary>
        private bool IsWriteThroughRef(IOperation target) => target switch
        {
            ILocalReferenceOperation local => local.Local.IsRef,
            IFlowCaptureReferenceOperation capture => _analysis.ResolveCapture(capture.Id).Any(IsGuestStorage),
            _ => false,
        };

        private static bool IsRefLocation(IOperation target) => target switch
        {
            ILocalReferenceOperation local => local.Local.IsRef,
            IParameterReferenceOperation parameter => parameter.Parameter.RefKind != RefKind.None,
            _ => false,
        };

        private ViewValue? EvaluateField(IFieldReferenceOperation field)
        {
            if (TrackedEntity(field) is { } entity)
            {
                return _state.Get(entity)?.WithReference(field);
            }

            var instance = field.Instance is null ? null : Evaluate(field.Instance);
            if (instance is null)
            {
                return null;
            }

            // entry.Address of a (nint Address, int Length) view is itself a view, and so is the
            // ref field entry.Value; entry.Length is plain data. But a field of a struct that lives
            // in guest memory (inv.Result where inv is a ref into it) is guest memory: whoever
            // consumes it reads or writes the view.
            return field.Field.RefKind != RefKind.None || Types.CanHoldView(field.Type) || IsGuestStorage(field.Instance!)
                ? instance
                : null;
        }

        private ViewValue? EvaluateAssignment(ISimpleAssignmentOperation assignment)
        {
            var target = assignment.Target;
            if (target is IDeclarationExpressionOperation declarationExpression)
            {
                target = declarationExpression.Expression;
            }

            if (!assignment.IsRef && CapturedLocation(target) is { } location)
            {
                // _frame = new FrameRef { ... }, _rec = _rec with { ... }, _stream ??= ...: the graph
                // captured the field before evaluating the value; the store goes to the field.
                target = location;
            }

            if (TrackedEntity(target) is { } entity)
            {
                var value = Capture(assignment.Value);
                if (!assignment.IsRef && IsWriteThroughRef(target))
                {
                    // b = 1 where b is `ref byte b = ref view[0]`: a write through the view.
                    Use(new Operand(target, _state.Get(entity)?.WithReference(target), _calls.Count));
                    Consume(value);
                    return null;
                }

                _state.Set(entity, Store(value, target.Type, assignment.IsRef));
                if (target is IFieldReferenceOperation)
                {
                    EscapeByStore(target, value);
                }

                return value.Value;
            }

            switch (target)
            {
                case IPropertyReferenceOperation property:
                    var receiver = property.Instance is null ? default : Capture(property.Instance);
                    foreach (var argument in property.Arguments)
                    {
                        Consume(Capture(argument.Value));
                    }

                    var assigned = Capture(assignment.Value);
                    CheckArchiveHandoff(assignment, property, assigned);
                    if (receiver.Value is not null)
                    {
                        if (Semantics.Types.IsCollectionOfViews(property.Instance!.Type) && TrackedEntity(property.Instance!.WalkDownConversions()) is { } container)
                        {
                            // outputs[i] = view: the collection now holds a view.
                            _state.Set(container, ViewValue.Join(_state.Get(container), Effective(assigned)));
                        }
                        else
                        {
                            // view[i] = value: a write through the view.
                            Use(receiver);
                        }
                    }

                    ConsumeUnlessStored(assigned, property.Type);
                    if (!HandsStaleViewToWriter(assignment, property, assigned))
                    {
                        EscapeByStore(property, assigned);
                    }

                    ApplyGuestCall(property);
                    return assigned.Value;

                case IArrayElementReferenceOperation element:
                    // The array itself is only written to here.
                    Evaluate(element.ArrayReference);
                    foreach (var index in element.Indices)
                    {
                        Consume(Capture(index));
                    }

                    var stored = Capture(assignment.Value);
                    if (stored.Value is not null && TrackedEntity(element.ArrayReference.WalkDownConversions()) is { } arrayEntity)
                    {
                        _state.Set(arrayEntity, ViewValue.Join(_state.Get(arrayEntity), Effective(stored)));
                    }

                    ConsumeUnlessStored(stored, element.Type);
                    EscapeByStore(element, stored);
                    return stored.Value;

                default:
                    var targetOperand = Capture(target);
                    var valueOperand = Capture(assignment.Value);
                    if (targetOperand.Value is not null && !Types.CanHoldView(target.Type))
                    {
                        // *p = value or p[i] = value: a write through a pointer view.
                        Use(targetOperand);
                    }

                    ConsumeUnlessStored(valueOperand, target.Type);
                    EscapeByStore(target, valueOperand);
                    return valueOperand.Value;
            }
        }

        /// <summary>What a location receives: the view itself, or nothing when the value was copied out of it.</summary>
        private ViewValue? Store(Operand value, ITypeSymbol? locationType, bool isRef)
        {
            if (value.Value is null)
            {
                return null;
            }

            if (isRef || Types.CanHoldView(locationType) || (value.Value.IsAddress && IsAddressSizedInteger(locationType)))
            {
                return Effective(value);
            }

            Consume(value);
            return null;
        }

        private ViewValue? EvaluateReadModifyWrite(IOperation target, IOperation? value)
        {
            var valueOperand = value is null ? default : Capture(value);
            if (TrackedEntity(target) is { } entity && !IsRefLocation(target))
            {
                // p += 4 keeps the pointer a view; total += view[i] reads the view.
                Consume(valueOperand);
                return _state.Get(entity);
            }

            var targetOperand = Capture(target);
            if (targetOperand.Value is not null && (IsRefLocation(target) || !Types.CanHoldView(target.Type)))
            {
                // view[i]++ or *p += 1: read and write through the view.
                Use(targetOperand);
            }

            Consume(valueOperand);
            return null;
        }

        /// <summary>
        /// The variable, field, property or element a flow capture used as an assignment target stands
        /// for, unless it is a location in guest memory (then the store writes through the view).
        /// </summary>
        private IOperation? CapturedLocation(IOperation target)
        {
            if (target is not IFlowCaptureReferenceOperation capture)
            {
                return null;
            }

            IOperation? location = null;
            foreach (var value in _analysis.ResolveCapture(capture.Id))
            {
                if (location is not null
                    || value is not (ILocalReferenceOperation or IParameterReferenceOperation or IFieldReferenceOperation or IPropertyReferenceOperation or IArrayElementReferenceOperation)
                    || IsGuestStorage(value))
                {
                    return null;
                }

                location = value;
            }

            return location;
        }

        /// <summary>
        /// <c>(a, _cursor) = (view, n)</c>: element by element when the value is a tuple literal, each
        /// element stored like a simple assignment; otherwise each variable that can hold a view
        /// receives the whole value.
        /// </summary>
        private ViewValue? EvaluateDeconstruction(IDeconstructionAssignmentOperation deconstruction)
        {
            var target = deconstruction.Target is IDeclarationExpressionOperation declaration ? declaration.Expression : deconstruction.Target;
            Deconstruct(target, deconstruction.Value);
            return null;
        }

        private void Deconstruct(IOperation target, IOperation value)
        {
            if (target is ITupleOperation targets && value.WalkDownConversions() is ITupleOperation values && values.Elements.Length == targets.Elements.Length)
            {
                var operands = new List<Operand>();
                foreach (var element in values.Elements)
                {
                    operands.Add(element.WalkDownConversions() is ITupleOperation ? new Operand(element, null, _calls.Count) : Capture(element));
                }

                for (var i = 0; i < targets.Elements.Length; i++)
                {
                    var element = targets.Elements[i] is IDeclarationExpressionOperation declared ? declared.Expression : targets.Elements[i];
                    if (element is ITupleOperation || values.Elements[i].WalkDownConversions() is ITupleOperation)
                    {
                        Deconstruct(element, values.Elements[i]);
                    }
                    else
                    {
                        StoreElement(element, operands[i]);
                    }
                }

                return;
            }

            var whole = Capture(value);
            foreach (var leaf in target.DescendantsAndSelf())
            {
                if (leaf is not (ITupleOperation or IDeclarationExpressionOperation or IDiscardOperation) && leaf.Parent is ITupleOperation or IDeclarationExpressionOperation)
                {
                    StoreElement(leaf, Types.CanHoldView(leaf.Type) ? whole : new Operand(whole.Operation, null, whole.Epoch));
                }
            }
        }

        /// <summary>One variable, field or property of a deconstruction receives <paramref name="value"/>.</summary>
        private void StoreElement(IOperation target, Operand value)
        {
            if (target is IDiscardOperation)
            {
                Consume(value);
                return;
            }

            if (TrackedEntity(target) is { } entity && !IsRefLocation(target))
            {
                _state.Set(entity, Store(value, target.Type, isRef: false));
                if (target is IFieldReferenceOperation)
                {
                    EscapeByStore(target, value);
                }

                return;
            }

            if (InstanceOf(target) is { } instance)
            {
                Consume(Capture(instance));
            }

            ConsumeUnlessStored(value, target.Type);
            EscapeByStore(target, value);
        }

        /// <summary>
        /// A pattern matched against a view: a list pattern reads its elements, a property pattern
        /// reads what its members read, a designation (<c>is var alias</c>, <c>[.. var rest]</c>)
        /// makes an alias. Type, constant and relational tests of the view itself read nothing.
        /// </summary>
        private void Match(Operand value, IPatternOperation pattern)
        {
            switch (pattern)
            {
                case IDeclarationPatternOperation declaration:
                    Designate(declaration.DeclaredSymbol, value);
                    break;

                case IListPatternOperation list:
                    Designate(list.DeclaredSymbol, value);
                    var readsElements = false;
                    foreach (var element in list.Patterns)
                    {
                        if (element is ISlicePatternOperation slice)
                        {
                            if (slice.Pattern is { } rest)
                            {
                                Match(value, rest);
                            }
                        }
                        else if (element is not IDiscardPatternOperation)
                        {
                            readsElements = true;
                            KillDesignations(element);
                        }
                    }

                    if (readsElements)
                    {
                        Use(value);
                    }

                    break;

                case IRecursivePatternOperation recursive:
                    Designate(recursive.DeclaredSymbol, value);
                    foreach (var subpattern in recursive.PropertySubpatterns)
                    {
                        MatchMember(value, subpattern);
                    }

                    foreach (var positional in recursive.DeconstructionSubpatterns)
                    {
                        KillDesignations(positional);
                    }

                    break;

                case INegatedPatternOperation negated:
                    Match(value, negated.Pattern);
                    break;

                case IBinaryPatternOperation binary:
                    Match(value, binary.LeftPattern);
                    Match(value, binary.RightPattern);
                    break;
            }
        }

        /// <summary><c>{ Length: > 4 }</c> reads nothing; <c>{ Address: var a }</c> aliases; a member that reads guest memory is a use.</summary>
        private void MatchMember(Operand value, IPropertySubpatternOperation subpattern)
        {
            var member = subpattern.Member switch
            {
                IMemberReferenceOperation reference => reference.Member,
                _ => null,
            };

            if (member is null || value.Value is null)
            {
                KillDesignations(subpattern.Pattern);
                return;
            }

            var memberType = member switch
            {
                IPropertySymbol property => property.Type,
                IFieldSymbol field => field.Type,
                _ => null,
            };

            if (Types.CanHoldView(memberType))
            {
                Match(value, subpattern.Pattern);
                return;
            }

            KillDesignations(subpattern.Pattern);
            var readsView = member switch
            {
                IPropertySymbol { GetMethod: { } getter } property => !IsNonReadingMember(property)
                                                                     && !(Semantics.IsDeclaredInSource(getter) && !Semantics.ViewState.UsesViewState(getter, _analysis._visit, _analysis._cancellationToken)),
                _ => false,
            };

            if (readsView)
            {
                Use(value);
            }
        }

        private void Designate(ISymbol? symbol, Operand value)
        {
            if (symbol is ILocalSymbol local)
            {
                _state.Set(local, value.Value is not null && Types.CanHoldView(local.Type) ? Effective(value) : null);
            }
        }

        /// <summary>Variables a pattern declares over values read out of the view are copies.</summary>
        private void KillDesignations(IPatternOperation pattern)
        {
            foreach (var operation in pattern.DescendantsAndSelf())
            {
                var symbol = operation switch
                {
                    IDeclarationPatternOperation declaration => declaration.DeclaredSymbol,
                    IRecursivePatternOperation recursive => recursive.DeclaredSymbol,
                    IListPatternOperation list => list.DeclaredSymbol,
                    _ => null,
                };

                if (symbol is not null)
                {
                    _state.Set(symbol, null);
                }
            }
        }

        // -------------------------------------------------------------- calls

        private ViewValue? EvaluateInvocation(IInvocationOperation invocation)
        {
            var method = invocation.TargetMethod;
            var inputs = new List<Operand>();
            var consumed = new List<Operand>();

            if (invocation.Instance is { } instance)
            {
                var receiver = Capture(instance);
                if (method.MethodKind == MethodKind.DelegateInvoke)
                {
                    // Invoking a delegate does not read a view it came from.
                }
                else if (CarriesView(receiver))
                {
                    inputs.Add(receiver);
                }
                else
                {
                    consumed.Add(receiver);
                }
            }

            var outArguments = new List<(IArgumentOperation Argument, int Index)>();
            for (var i = 0; i < invocation.Arguments.Length; i++)
            {
                var argument = invocation.Arguments[i];
                if (argument.Parameter?.RefKind == RefKind.Out)
                {
                    outArguments.Add((argument, i));
                    continue;
                }

                var operand = Capture(argument.Value);
                if (argument.Parameter?.RefKind is RefKind.Ref or RefKind.In or RefKind.RefReadOnlyParameter)
                {
                    outArguments.Add((argument, i));
                }

                if (argument.Parameter?.RefKind is RefKind.Ref or RefKind.In or RefKind.RefReadOnlyParameter || CarriesView(operand))
                {
                    inputs.Add(operand);
                }
                else
                {
                    consumed.Add(operand);
                }
            }

            var origin = ReceiverIsView(invocation.Instance, inputs) ? null : _analysis.GetOrigin(invocation);
            var guestCall = _analysis.GetGuestCall(invocation);
            var resultCarries = method.ReturnsByRef || method.ReturnsByRefReadonly || Types.CanHoldView(method.ReturnType);
            var hasViewInput = HasView(inputs);
            CheckArchiveHandoff(invocation, inputs, consumed);

            foreach (var operand in consumed)
            {
                Consume(operand);
            }

            if (origin is null && hasViewInput && !resultCarries)
            {
                if (Semantics.IsStorageIntoCollection(invocation)
                    && TrackedEntity(invocation.Instance!.WalkDownConversions()) is { } container)
                {
                    // outputs.Add(view): the collection now holds the view; nothing is read yet.
                    var storedValue = _state.Get(container);
                    for (var i = 1; i < inputs.Count; i++)
                    {
                        storedValue = ViewValue.Join(storedValue, Effective(inputs[i]));
                    }

                    _state.Set(container, storedValue);
                }
                else if (!IsNonReadingMember(method) && !IsAddressArithmetic(method))
                {
                    foreach (var operand in inputs)
                    {
                        // entry.Pop() on a value that holds a view next to plain data reads only
                        // what its body reads.
                        if (IsReceiverWithPlainMember(invocation.Instance, operand, method))
                        {
                            continue;
                        }

                        // outputs.Clear() or outputs.Contains(x) read no guest memory; reading an
                        // element out of the collection derives a view, checked where it is used.
                        if (invocation.Instance is not null && operand.Operation == invocation.Instance && Semantics.Types.IsCollectionOfViews(operand.Operation.Type))
                        {
                            continue;
                        }

                        Use(operand);
                    }
                }
            }

            if (hasViewInput)
            {
                CheckArgumentsReadAfterCalleeGuestCall(invocation, inputs);
            }

            EscapeThroughCall(invocation, inputs);
            UseCapturedViews(invocation);
            ApplyGuestCall(guestCall);

            foreach (var (argument, index) in outArguments)
            {
                if (TrackedEntity(argument.Value) is not { } entity)
                {
                    continue;
                }

                var outOrigin = _analysis.GetOutOrigin(invocation, argument, index);
                if (outOrigin is not null)
                {
                    _state.Set(entity, ViewValue.Fresh(outOrigin));
                }
                else if (argument.Parameter?.RefKind == RefKind.Out)
                {
                    _state.Set(entity, hasViewInput && Types.CanHoldView(argument.Parameter.Type) ? Derive(inputs) : null);
                }
            }

            if (origin is not null)
            {
                return ViewValue.Fresh(origin);
            }

            if (hasViewInput && IsAddressArithmetic(method) && IsAddressSizedInteger(method.ReturnType))
            {
                // pointer.ToInt64(): the address, in an integer.
                return Derive(inputs)?.AsAddress(true);
            }

            return hasViewInput && resultCarries ? Derive(inputs)?.AsAddress(false) : null;
        }

        private ViewValue? EvaluateCreation(IObjectCreationOperation creation)
        {
            var inputs = new List<Operand>();
            var consumed = new List<Operand>();
            foreach (var argument in creation.Arguments)
            {
                var operand = Capture(argument.Value);
                (CarriesView(operand) || argument.Parameter?.RefKind is RefKind.Ref or RefKind.In ? inputs : consumed).Add(operand);
            }

            if (creation.Initializer is { } initializer)
            {
                foreach (var child in initializer.ChildOperations)
                {
                    inputs.Add(Capture(child));
                }
            }

            foreach (var operand in consumed)
            {
                Consume(operand);
            }

            var hasViewInput = HasView(inputs);
            var type = creation.Type;

            // new Span<byte>(p, n), new UnmanagedMemoryStream(p, n), a MemoryManager over p, a
            // reader or archive over such a stream: all keep reading guest memory later.
            var wraps = hasViewInput
                        && (Types.CanHoldView(type) || (type is not null && type.SpecialType != SpecialType.System_String && Implements(type, Semantics.Symbols.IDisposable)));
            if (hasViewInput && !wraps)
            {
                foreach (var operand in inputs)
                {
                    Use(operand);
                }
            }

            EscapeThroughCreation(creation, inputs);
            ApplyGuestCall(creation);
            return wraps ? Derive(inputs)?.AsAddress(false) : null;
        }

        private ViewValue? EvaluateProperty(IPropertyReferenceOperation propertyReference)
        {
            var property = propertyReference.Property;
            var inputs = new List<Operand>();
            if (propertyReference.Instance is { } instance)
            {
                var receiver = Capture(instance);
                if (CarriesView(receiver))
                {
                    inputs.Add(receiver);
                }
                else
                {
                    Consume(receiver);
                }
            }

            foreach (var argument in propertyReference.Arguments)
            {
                Consume(Capture(argument.Value));
            }

            var origin = ReceiverIsView(propertyReference.Instance, inputs) ? null : _analysis.GetOrigin(propertyReference);
            var resultCarries = property.ReturnsByRef || property.ReturnsByRefReadonly || Types.CanHoldView(property.Type);
            var hasViewInput = HasView(inputs);
            if (origin is null && hasViewInput && !resultCarries && !IsNonReadingMember(property))
            {
                foreach (var operand in inputs)
                {
                    if (property.GetMethod is { } getter && IsReceiverWithPlainMember(propertyReference.Instance, operand, getter))
                    {
                        continue;
                    }

                    Use(operand);
                }
            }

            ApplyGuestCall(propertyReference);
            if (origin is not null)
            {
                return ViewValue.Fresh(origin);
            }

            return hasViewInput && resultCarries ? Derive(inputs) : null;
        }

        private ViewValue? EvaluateImplicitIndexer(IOperation indexer)
        {
            // view[1..3] slices, view[^1] refers to an element: both keep the view.
            ViewValue? result = null;
            var first = true;
            foreach (var child in indexer.ChildOperations)
            {
                var operand = Capture(child);
                if (first)
                {
                    result = Effective(operand);
                    first = false;
                }
                else
                {
                    Consume(operand);
                }
            }

            return result;
        }

        private ViewValue? EvaluateConversion(IConversionOperation conversion)
        {
            var operand = Capture(conversion.Operand);
            if (operand.Value is null)
            {
                return null;
            }

            var target = conversion.Type;
            if (Types.CanHoldView(target))
            {
                return Effective(operand)!.AsAddress(false);
            }

            if ((IsAddressLike(conversion.Operand.Type) || operand.Value.IsAddress) && IsAddressSizedInteger(target))
            {
                // (long)pointer: still the view's address.
                return Effective(operand)!.AsAddress(true);
            }

            // (int)view[0] reads guest memory; (long)pointer or (object)pointer does not.
            RememberConvertedView(conversion, operand);
            Consume(operand);
            return null;
        }

        private ViewValue? EvaluateGeneric(IOperation operation)
        {
            var operands = new List<Operand>();
            foreach (var child in operation.ChildOperations)
            {
                operands.Add(Capture(child));
            }

            var addressArithmetic = operation is IBinaryOperation && IsAddressSizedInteger(operation.Type) && operands.Exists(o => o.Value?.IsAddress == true);
            if (HasView(operands) && (Types.CanHoldView(operation.Type) || addressArithmetic))
            {
                // Pointer arithmetic, tuples of views, collections of views, ...
                var derived = new List<Operand>();
                foreach (var operand in operands)
                {
                    if (operand.Value is not null && CarriesView(operand))
                    {
                        derived.Add(operand);
                    }
                    else
                    {
                        Consume(operand);
                    }
                }

                return Derive(derived)?.AsAddress(addressArithmetic);
            }

            foreach (var operand in operands)
            {
                Consume(operand);
            }

            return null;
        }

        // -------------------------------------------------------------- helpers

        private readonly struct Operand
        {
            public Operand(IOperation operation, ViewValue? value, int epoch)
            {
                Operation = operation;
                Value = value;
                Epoch = epoch;
            }

            public IOperation Operation { get; }

            public ViewValue? Value { get; }

            /// <summary>How many guest calls had run in this block when the operand was evaluated.</summary>
            public int Epoch { get; }
        }

        private Operand Capture(IOperation operation) => new(operation, Evaluate(operation), _calls.Count);

        /// <summary>The operand's value now: stale if a guest call ran after it was evaluated, since the first of those calls and until the last.</summary>
        private ViewValue? Effective(Operand operand)
            => operand.Value is { } value && operand.Epoch < _calls.Count ? value.MarkStale(_calls[operand.Epoch]).MarkStale(_calls[_calls.Count - 1]) : operand.Value;

        private ViewValue? Derive(List<Operand> inputs)
        {
            ViewValue? result = null;
            foreach (var input in inputs)
            {
                result = ViewValue.Join(result, Effective(input));
            }

            return result;
        }

        /// <summary>
        /// A view source called on a view (<c>guardedView.Span</c>) derives from it: the result is
        /// only as fresh as the view it came from.
        /// </summary>
        private static bool ReceiverIsView(IOperation? instance, List<Operand> inputs)
            => instance is not null && inputs.Count > 0 && inputs[0].Operation == instance && inputs[0].Value is not null;

        private static bool HasView(List<Operand> operands)
        {
            foreach (var operand in operands)
            {
                if (operand.Value is not null)
                {
                    return true;
                }
            }

            return false;
        }

        /// <summary>An operand whose value carries the view onward (rather than an element read out of it).</summary>
        private bool CarriesView(Operand operand)
            => operand.Operation.Type is null || Types.CanHoldView(operand.Operation.Type) || operand.Value?.IsAddress == true;

        /// <summary>
        /// A value consumed by an operation that keeps no view: reading an element out of guest
        /// memory is a use; comparing or printing a pointer is not.
        /// </summary>
        private void Consume(Operand operand)
        {
            if (operand.Value is { IsAddress: false } && !Types.CanHoldView(operand.Operation.Type) && operand.Operation.Type is not null)
            {
                Use(operand);
            }
        }

        private void ConsumeUnlessStored(Operand operand, ITypeSymbol? locationType)
        {
            if (!Types.CanHoldView(locationType))
            {
                Consume(operand);
            }
        }

        private void Use(Operand operand)
        {
            // An address held in an integer is printed, compared or passed around without reading
            // guest memory; it is checked when it becomes a pointer again.
            if (operand.Value is { IsAddress: true } && !Types.CanHoldView(operand.Operation.Type))
            {
                return;
            }

            if (Effective(operand) is { IsStale: true } value)
            {
                Record(operand.Operation, value);
            }
        }

        private void Record(IOperation location, ViewValue staleValue, string? name = null)
        {
            _facts.StaleUse(staleValue.LastReference ?? location, staleValue, name);
        }

        /// <summary>
        /// Calling a local function or lambda reads the captured variables it reads: a pointer,
        /// stream or queue of views captured by <c>void Flush() =&gt; ...</c> is used when
        /// <c>Flush()</c> runs. Reported at the call, naming the captured variable.
        /// </summary>
        private void UseCapturedViews(IInvocationOperation invocation)
        {
            if (invocation.TargetMethod.MethodKind is not (MethodKind.LocalFunction or MethodKind.DelegateInvoke))
            {
                return;
            }

            foreach (var function in Semantics.Captures.GetCalledNestedFunctions(invocation, _analysis._cancellationToken))
            {
                foreach (var captured in Semantics.Captures.GetCapturedReads(function, _analysis._cancellationToken))
                {
                    if (_state.Get(captured) is { IsStale: true } value)
                    {
                        Record(invocation, value.WithoutReference(), captured.Name);
                    }
                }
            }
        }

        /// <summary>
        /// A view handed to a method of the compilation that reads that parameter after a guest call
        /// of its own is used after that call, wherever the view came from.
        /// </summary>
        private void CheckArgumentsReadAfterCalleeGuestCall(IInvocationOperation invocation, List<Operand> inputs)
        {
            var uses = Semantics.ViewSources.GetParameterUses(invocation.TargetMethod, _analysis._visit, _analysis._cancellationToken);
            if (uses.IsEmpty)
            {
                return;
            }

            foreach (var argument in invocation.Arguments)
            {
                if (argument.Parameter is not { } parameter || !uses.Contains(parameter.Ordinal))
                {
                    continue;
                }

                foreach (var operand in inputs)
                {
                    if (operand.Operation == argument.Value && Effective(operand) is { } value)
                    {
                        Record(operand.Operation, value.MarkStale(_analysis.GetCalleeCall(invocation)));
                    }
                }
            }
        }

        private void ApplyGuestCall(IOperation operation) => ApplyGuestCall(_analysis.GetGuestCall(operation));

        private void ApplyGuestCall(GuestCall? call)
        {
            if (call is not null)
            {
                _state.MarkAllStale(call);
                _calls.Add(call);
            }
        }

        /// <summary>
        /// Members of the BCL's spans, streams and collections that read no element (<c>Length</c>,
        /// <c>Dispose</c>, ...; <see cref="Knowledge.NonReadingMembers"/>). Only theirs: a method of the
        /// user's code, even one overriding <c>Stream.Length</c>, is judged by its body.
        /// </summary>
        private bool IsNonReadingMember(ISymbol member)
            => !Semantics.IsDeclaredInSource(member) && Semantics.Symbols.NonReadingMembers.Contains(member);

        /// <summary>
        /// Whether <paramref name="operand"/> is the receiver of <paramref name="member"/>, a value of
        /// the user's own type that holds a view next to plain data, and the member touches only the
        /// plain data (<c>entry.Address</c>, <c>entry.Pop()</c> re-acquiring memory itself).
        /// </summary>
        private bool IsReceiverWithPlainMember(IOperation? instance, Operand operand, IMethodSymbol member)
            => instance is not null
               && operand.Operation == instance
               && !IsGuestStorage(instance)
               && Semantics.IsDeclaredInSource(member)
               && !Semantics.ViewState.UsesViewState(member, _analysis._visit, _analysis._cancellationToken);

        /// <summary>
        /// Whether <paramref name="operation"/> denotes a location in guest memory itself rather than
        /// a value that points there: a ref local or parameter, a ref-returning call, a ref field, a
        /// dereferenced pointer, a field of a struct at such a location.
        /// </summary>
        private static bool IsGuestStorage(IOperation operation) => operation switch
        {
            ILocalReferenceOperation local => local.Local.IsRef,
            IParameterReferenceOperation parameter => parameter.Parameter.RefKind != RefKind.None,
            IInvocationOperation invocation => invocation.TargetMethod.ReturnsByRef || invocation.TargetMethod.ReturnsByRefReadonly,
            IPropertyReferenceOperation property => property.Property.ReturnsByRef || property.Property.ReturnsByRefReadonly,
            IFieldReferenceOperation field => field.Field.RefKind != RefKind.None
                                              || (field.Field.ContainingType?.IsValueType == true && field.Instance is { } instance && IsGuestStorage(instance)),
            IParenthesizedOperation parenthesized => IsGuestStorage(parenthesized.Operand),
            _ => operation.Kind is OperationKind.None or OperationKind.ImplicitIndexerReference,
        };

        private static bool IsAddressSizedInteger(ITypeSymbol? type)
            => type?.SpecialType is SpecialType.System_Int64 or SpecialType.System_UInt64;

        private static bool IsAddressLike(ITypeSymbol? type)
            => type is not null && (type.TypeKind == TypeKind.Pointer || type.SpecialType is SpecialType.System_IntPtr or SpecialType.System_UIntPtr);

        /// <summary>Members of <see cref="System.IntPtr"/> compute with the address; they do not read memory.</summary>
        private static bool IsAddressArithmetic(IMethodSymbol method)
            => method.ContainingType?.SpecialType is SpecialType.System_IntPtr or SpecialType.System_UIntPtr;

        private static bool Implements(ITypeSymbol type, INamedTypeSymbol @interface)
        {
            if (SymbolEqualityComparer.Default.Equals(type, @interface))
            {
                return true;
            }

            foreach (var implemented in type.AllInterfaces)
            {
                if (SymbolEqualityComparer.Default.Equals(implemented, @interface))
                {
                    return true;
                }
            }

            return false;
        }
    }
}
